import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { auditEventHash } from '../src/governance/audit-chain';
import { integer, nullableVarchar, varchar } from './columns';

/** Rows read and re-chained per query: the backfill holds one page in memory, whatever the log's size. */
const PAGE = 500;

interface StoredEvent {
  id: number;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  door: string;
  action: string;
  target_type: string;
  target_id: string;
  target_name: string | null;
  changes: string | null;
  request_id: string | null;
}

/**
 * A tamper-evident audit log: every event gets its place in a hash chain (`seq`, `prev_hash`,
 * `hash`; src/governance/audit-chain.ts) and `audit_chain` holds the head, the row appenders lock.
 * Existing events are chained in id order, the order they were written in.
 *
 * The new columns are NOT NULL without a default, like the entity; SQLite cannot add such a column
 * to a table with rows, so they are added with a default, filled, and the default dropped again.
 * The hash is computed with today's auditEventHash: a change to that encoding needs a migration of
 * its own that re-chains, like this one.
 */
export class AuditChain1763900000005 implements MigrationInterface {
  name = 'AuditChain1763900000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('audit_events', [
      new TableColumn(integer('seq', { default: 0 })),
      new TableColumn(nullableVarchar('prev_hash', 64)),
      new TableColumn(varchar('hash', 64, { default: "''" })),
    ]);

    let seq = 0;
    let lastHash: string | null = null;
    for (let afterId = 0; ;) {
      const rows = await queryRunner.query(
        'SELECT id, occurred_at, actor_type, actor_id, actor_name, door, action, target_type, target_id, target_name, '
        + 'changes, request_id FROM audit_events WHERE id > ? ORDER BY id LIMIT ?',
        [afterId, PAGE],
      ) as StoredEvent[];
      for (const row of rows) {
        seq += 1;
        const hash = auditEventHash({
          seq, occurredAt: row.occurred_at, actorType: row.actor_type, actorId: row.actor_id, actorName: row.actor_name,
          door: row.door, action: row.action, targetType: row.target_type, targetId: row.target_id,
          targetName: row.target_name, changes: row.changes, requestId: row.request_id, prevHash: lastHash,
        });
        await queryRunner.query('UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?', [seq, lastHash, hash, row.id]);
        lastHash = hash;
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) break;
      afterId = Number(last.id);
    }

    await queryRunner.changeColumns('audit_events', [
      { oldColumn: new TableColumn(integer('seq', { default: 0 })), newColumn: new TableColumn(integer('seq')) },
      { oldColumn: new TableColumn(varchar('hash', 64, { default: "''" })), newColumn: new TableColumn(varchar('hash', 64)) },
    ]);
    await queryRunner.createIndex('audit_events', new TableIndex({ name: 'ux_audit_events_seq', columnNames: ['seq'], isUnique: true }));

    await queryRunner.createTable(new Table({
      name: 'audit_chain',
      columns: [integer('id', { isPrimary: true }), integer('last_seq'), nullableVarchar('last_hash', 64)],
    }));
    // As in the initial schema: every table compares binary on MariaDB.
    const type = queryRunner.connection.driver.options.type;
    if (type === 'mariadb' || type === 'mysql') {
      await queryRunner.query('ALTER TABLE `audit_chain` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    }
    await queryRunner.query('INSERT INTO audit_chain (id, last_seq, last_hash) VALUES (1, ?, ?)', [seq, lastHash]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_chain');
    await queryRunner.dropIndex('audit_events', 'ux_audit_events_seq');
    await queryRunner.dropColumns('audit_events', ['hash', 'prev_hash', 'seq']);
  }
}
