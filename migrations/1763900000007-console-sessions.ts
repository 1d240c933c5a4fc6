import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestamp, uuidPrimary, varchar } from './columns';

/**
 * Console sessions (issue 9): a person signed in to /admin holds a random 256-bit session id in a
 * cookie; the table keeps only its SHA-256 (`id_hash`, unique: the one look-up of every request),
 * the person, the times that bound its life (idle: `last_seen_at`; absolute: `expires_at`), its
 * revocation, and the secret its CSRF token is. The row's own `id` names a session in logs and
 * pages without being the credential. Sessions go with their user (ON DELETE CASCADE).
 */
export class ConsoleSessions1763900000007 implements MigrationInterface {
  name = 'ConsoleSessions1763900000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'console_sessions',
      columns: [
        uuidPrimary(),
        varchar('id_hash', 64),
        varchar('user_id', 36),
        varchar('method', 16),
        varchar('csrf_secret', 64),
        timestamp('created_at'),
        timestamp('last_seen_at'),
        timestamp('expires_at'),
        timestamp('revoked_at', { isNullable: true }),
      ],
      indices: [
        new TableIndex({ name: 'uq_console_sessions_id_hash', columnNames: ['id_hash'], isUnique: true }),
        new TableIndex({ name: 'ix_console_sessions_user_id', columnNames: ['user_id'] }),
      ],
    }));
    // As in the initial schema: every table compares binary on MariaDB.
    const type = queryRunner.connection.driver.options.type;
    if (type === 'mariadb' || type === 'mysql') {
      await queryRunner.query('ALTER TABLE `console_sessions` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    }
    await queryRunner.createForeignKey('console_sessions', new TableForeignKey({
      name: 'fk_console_sessions_user', columnNames: ['user_id'], referencedTableName: 'users',
      referencedColumnNames: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION',
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('console_sessions');
  }
}
