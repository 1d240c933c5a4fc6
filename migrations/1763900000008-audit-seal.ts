import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { integer, varchar } from './columns';

/**
 * Audit events are written unsealed and sealed into the hash chain once their write has committed
 * (src/governance/audit-seal.ts): until then an event has no `seq` and no `hash`. Both columns
 * become nullable; the unique index on `seq` stays (it admits any number of NULLs on both
 * databases) and finds the unsealed events, whose `seq` is NULL.
 */
export class AuditSeal1763900000008 implements MigrationInterface {
  name = 'AuditSeal1763900000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.changeColumns('audit_events', [
      { oldColumn: new TableColumn(integer('seq')), newColumn: new TableColumn(integer('seq', { isNullable: true })) },
      { oldColumn: new TableColumn(varchar('hash', 64)), newColumn: new TableColumn(varchar('hash', 64, { isNullable: true })) },
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const rows = await queryRunner.query('SELECT COUNT(*) AS n FROM audit_events WHERE seq IS NULL OR hash IS NULL') as { n: number | string }[];
    if (Number(rows[0]?.n ?? 0) > 0) {
      throw new Error('Some audit events are not sealed yet: start scimd once (it seals them), then revert this migration');
    }
    await queryRunner.changeColumns('audit_events', [
      { oldColumn: new TableColumn(integer('seq', { isNullable: true })), newColumn: new TableColumn(integer('seq')) },
      { oldColumn: new TableColumn(varchar('hash', 64, { isNullable: true })), newColumn: new TableColumn(varchar('hash', 64)) },
    ]);
  }
}
