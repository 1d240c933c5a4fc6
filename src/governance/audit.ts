import type { EntityManager } from 'typeorm';
import { nowIso, type ChangeContext } from '../identity/change-context';
import { afterCommit } from '../db/transaction';
import { isGaleraNode } from '../db/session-settings';
import { deferStatement } from '../db/statement-batch';
import { storedText, type AuditEventFields } from './audit-chain';
import { appendSealed, sealInBackground } from './audit-seal';

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

/** Audit rows per INSERT: 11 bound values each (2,750 a statement), well under every driver's limit; a sync batch of 500 is two. */
const AUDIT_ROWS_PER_INSERT = 250;
const AUDIT_COLUMNS = '(occurred_at, actor_type, actor_id, actor_name, door, action, target_type, target_id, target_name, changes, request_id)';
const AUDIT_ROW = `(${Array.from({ length: 11 }, () => '?').join(', ')})`;
/**
 * A transaction that writes this many events or more (a sync batch) seals them as it writes them
 * (audit-seal.ts appendSealed), instead of leaving them to a seal after its commit.
 */
export const SEAL_AS_WRITTEN_FROM = 100;

/**
 * Writes audit events in multi-row INSERTs with the caller's transaction manager, so they commit or
 * roll back with the change. A single write and a batch of a thousand sync changes are audited by
 * this same function.
 *
 * The events are written unsealed (no `seq`, no hashes); a seal into the hash chain starts once the
 * caller's transaction has committed (audit-seal.ts): a writer holds no lock that other writers
 * wait for, and the chain's head is locked once per batch of writes. A transaction writing many
 * events at once (SEAL_AS_WRITTEN_FROM) appends them to the chain itself, sealed: sealing them
 * afterwards would rewrite every row it had just written and read each one back. The fields the
 * hash covers are stored as they will be read back (storedText).
 */
export async function recordAudits(
  manager: EntityManager, context: ChangeContext, records: readonly AuditRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const events = auditEventFields(context, records);
  if (events.length >= SEAL_AS_WRITTEN_FROM && manager.queryRunner?.isTransactionActive === true && await appendsSealed(manager)) {
    await appendSealed(manager, events);
    return;
  }
  for (let i = 0; i < events.length; i += AUDIT_ROWS_PER_INSERT) {
    const values: unknown[] = [];
    for (const event of events.slice(i, i + AUDIT_ROWS_PER_INSERT)) values.push(...unsealedRow(event));
    // Plain SQL: every write pays for these rows, and TypeORM's insert builds and re-reads entities.
    await deferStatement(
      manager,
      `INSERT INTO audit_events ${AUDIT_COLUMNS} VALUES ${Array.from({ length: values.length / 11 }, () => AUDIT_ROW).join(', ')}`,
      values,
    );
  }
  const dataSource = manager.connection;
  // Outside a transaction() (no caller does that today) the rows have committed already: seal now.
  if (!afterCommit(manager, 'audit-seal', async () => sealInBackground(dataSource))) sealInBackground(dataSource);
}

/**
 * Not on a Galera node: there the head row a batch writes is certified at its commit against the
 * seals committed through every other node meanwhile, so under SCIM writes elsewhere a sync batch
 * holding the head through its INSERTs would lose, and run again whole, time after time. On Galera
 * a batch's events are sealed after its commit, like every write's.
 */
async function appendsSealed(manager: EntityManager): Promise<boolean> {
  return manager.connection.driver.options.type === 'better-sqlite3' || !await isGaleraNode(manager.connection);
}

/** The events' fields as the database will store them. */
function auditEventFields(context: ChangeContext, records: readonly AuditRecord[]): AuditEventFields[] {
  const occurredAt = nowIso();
  const actorType = storedText(context.actor.type);
  const actorId = context.actor.id === null ? null : storedText(context.actor.id);
  const actorName = storedText(context.actor.name, 255);
  const door = storedText(context.door);
  const requestId = context.requestId === undefined ? null : storedText(context.requestId, 64);
  return records.map((record) => ({
    occurredAt, actorType, actorId, actorName, door, action: storedText(record.action), targetType: storedText(record.targetType),
    targetId: storedText(record.targetId), targetName: record.targetName == null ? null : storedText(record.targetName, 255),
    changes: record.changes === undefined ? null : storedText(JSON.stringify(record.changes)), requestId,
  }));
}

function unsealedRow(event: AuditEventFields): unknown[] {
  return [event.occurredAt, event.actorType, event.actorId, event.actorName, event.door, event.action, event.targetType,
    event.targetId, event.targetName, event.changes, event.requestId];
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
    // Built in place, not spread together: every sync creation audits each of its attributes.
    const change: { attribute: string; from?: unknown; to?: unknown } = { attribute: key };
    if (!SECRET_ATTRIBUTES.has(key)) {
      if (auditable(fromJson)) change.from = from;
      if (auditable(toJson)) change.to = to;
    }
    changes.push(change);
  }
  return changes;
}

function auditable(json: string | undefined): boolean {
  return json !== undefined && json.length <= MAX_AUDITED_VALUE_LENGTH;
}
