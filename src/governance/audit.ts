import type { EntityManager } from 'typeorm';
import { nowIso, type ChangeContext } from '../identity/change-context';
import { auditEventHash, storedText, type ChainedFields } from './audit-chain';

/** Attributes whose values never enter the audit log, only the fact that they changed. */
const SECRET_ATTRIBUTES = new Set(['password', 'token', 'secret']);
/** Values longer than this are recorded as changed without their contents. */
const MAX_AUDITED_VALUE_LENGTH = 256;

export interface AuditChange {
  readonly attribute: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface AuditRecord {
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly targetName?: string | null;
  readonly changes?: readonly AuditChange[] | Record<string, unknown>;
}

/** Writes one audit event with the caller's transaction manager, so it commits or rolls back with the change. */
export async function recordAudit(manager: EntityManager, context: ChangeContext, record: AuditRecord): Promise<void> {
  await recordAudits(manager, context, [record]);
}

/** Audit rows per INSERT: 14 bound values each (3,500 a statement), well under every driver's limit; a sync batch of 500 is two. */
const AUDIT_ROWS_PER_INSERT = 250;
const AUDIT_COLUMNS = '(seq, occurred_at, actor_type, actor_id, actor_name, door, action, target_type, target_id, '
  + 'target_name, changes, request_id, prev_hash, hash)';
const AUDIT_ROW = `(${Array.from({ length: 14 }, () => '?').join(', ')})`;

/**
 * Writes audit events in multi-row INSERTs with the caller's transaction manager. A single write
 * and a batch of a thousand sync changes are audited by this same function.
 *
 * The events are appended to the hash chain (audit-chain.ts): the chain's head row is locked once
 * per call (`FOR UPDATE` on MariaDB; SQLite's write transactions already queue, src/db/transaction.ts),
 * so concurrent writers append one after another and never fork the chain; the lock is held until
 * the caller's transaction ends, which every caller does right after auditing.
 */
export async function recordAudits(
  manager: EntityManager, context: ChangeContext, records: readonly AuditRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const head = await lockChainHead(manager);
  // Taken after the lock, so that occurred_at does not go backwards along the chain (on one clock).
  const occurredAt = nowIso();
  const actor = {
    actorType: storedText(context.actor.type), actorId: context.actor.id === null ? null : storedText(context.actor.id),
    actorName: storedText(context.actor.name, 255), door: storedText(context.door),
    requestId: context.requestId === undefined ? null : storedText(context.requestId, 64),
  };
  let { seq, hash } = head;
  for (let i = 0; i < records.length; i += AUDIT_ROWS_PER_INSERT) {
    const values: unknown[] = [];
    for (const record of records.slice(i, i + AUDIT_ROWS_PER_INSERT)) {
      const fields: ChainedFields = {
        seq: seq + 1, occurredAt, ...actor, action: storedText(record.action), targetType: storedText(record.targetType),
        targetId: storedText(record.targetId), targetName: record.targetName == null ? null : storedText(record.targetName, 255),
        changes: record.changes === undefined ? null : storedText(JSON.stringify(record.changes)), prevHash: hash,
      };
      seq = fields.seq;
      hash = auditEventHash(fields);
      values.push(fields.seq, fields.occurredAt, fields.actorType, fields.actorId, fields.actorName, fields.door, fields.action,
        fields.targetType, fields.targetId, fields.targetName, fields.changes, fields.requestId, fields.prevHash, hash);
    }
    // Plain SQL: every write pays for these rows, and TypeORM's insert builds and re-reads entities.
    await manager.query(
      `INSERT INTO audit_events ${AUDIT_COLUMNS} VALUES ${Array.from({ length: values.length / 14 }, () => AUDIT_ROW).join(', ')}`,
      values,
    );
  }
  await manager.query('UPDATE audit_chain SET last_seq = ?, last_hash = ? WHERE id = ?', [seq, hash, CHAIN_HEAD_ID]);
}

/** The one row of audit_chain. */
const CHAIN_HEAD_ID = 1;

async function lockChainHead(manager: EntityManager): Promise<{ seq: number; hash: string | null }> {
  const forUpdate = manager.connection.driver.options.type === 'better-sqlite3' ? '' : ' FOR UPDATE';
  const rows = await manager.query(`SELECT last_seq, last_hash FROM audit_chain WHERE id = ?${forUpdate}`, [CHAIN_HEAD_ID]) as
    { last_seq: number | string; last_hash: string | null }[];
  const row = rows[0];
  // Written by the migration that made the chain; without it, appending would start a second chain.
  if (!row) throw new Error('The audit chain has no head row (audit_chain id 1): the audit log cannot be appended to');
  return { seq: Number(row.last_seq), hash: row.last_hash };
}

/** The top-level attributes that differ between two records, with small values before and after. */
export function diffAttributes(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): AuditChange[] {
  const changes: AuditChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of [...keys].sort()) {
    const from = before[key];
    const to = after[key];
    // Each side serialised once, for the comparison and for the size check.
    const fromJson = from === undefined ? undefined : JSON.stringify(from);
    const toJson = to === undefined ? undefined : JSON.stringify(to);
    if (fromJson === toJson) continue;
    if (SECRET_ATTRIBUTES.has(key)) {
      changes.push({ attribute: key });
    } else {
      changes.push({ attribute: key, ...auditable('from', from, fromJson), ...auditable('to', to, toJson) });
    }
  }
  return changes;
}

function auditable(side: 'from' | 'to', value: unknown, json: string | undefined): Record<string, unknown> {
  return json !== undefined && json.length <= MAX_AUDITED_VALUE_LENGTH ? { [side]: value } : {};
}
