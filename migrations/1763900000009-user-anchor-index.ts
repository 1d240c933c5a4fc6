import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The index on users.source_anchor also holds `source`: the sync looks its users up by anchor
 * among AD-sourced users (`source = 'ad' AND source_anchor IN (…)`, a role's members by the
 * thousand), and with `source` in the index that read needs no row, only index entries. Before,
 * each anchor found cost a visit to its row in the table (ordered by a random id), which with
 * 100,000 users outgrows a small buffer pool. The anchor stays first, so every read by anchor alone
 * uses it as before.
 */
export class UserAnchorIndex1763900000009 implements MigrationInterface {
  name = 'UserAnchorIndex1763900000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('users', new TableIndex({ name: 'ix_users_source_anchor_source', columnNames: ['source_anchor', 'source'] }));
    await queryRunner.dropIndex('users', 'ix_users_source_anchor');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('users', new TableIndex({ name: 'ix_users_source_anchor', columnNames: ['source_anchor'] }));
    await queryRunner.dropIndex('users', 'ix_users_source_anchor_source');
  }
}
