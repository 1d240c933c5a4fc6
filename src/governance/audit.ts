import type { EntityManager } from 'typeorm';
import { nowIso, type ChangeContext } from '../identity/change-context';

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

/** Audit rows per INSERT: 11 bound values each, well under every driver's limit. */
const AUDIT_ROWS_PER_INSERT = 200;
const AUDIT_COLUMNS = '(occurred_at, actor_type, actor_id, actor_name, door, action, target_type, target_id, '
  + 'target_name, changes, request_id)';

/**
 * Writes audit events in multi-row INSERTs with the caller's transaction manager. A single write
 * and a batch of a thousand sync changes are audited by this same function.
 */
export async function recordAudits(
  manager: EntityManager, context: ChangeContext, records: readonly AuditRecord[],
): Promise<void> {
  // Plain SQL: every write pays for these rows, and TypeORM's insert builds and re-reads entities.
  const occurredAt = nowIso();
  for (let i = 0; i < records.length; i += AUDIT_ROWS_PER_INSERT) {
    const chunk = records.slice(i, i + AUDIT_ROWS_PER_INSERT);
    await manager.query(
      `INSERT INTO audit_events ${AUDIT_COLUMNS} VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((record) => [occurredAt, context.actor.type, context.actor.id, context.actor.name.slice(0, 255),
        context.door, record.action, record.targetType, record.targetId, record.targetName?.slice(0, 255) ?? null,
        record.changes === undefined ? null : JSON.stringify(record.changes), context.requestId?.slice(0, 64) ?? null]),
    );
  }
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
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    if (SECRET_ATTRIBUTES.has(key)) {
      changes.push({ attribute: key });
    } else {
      changes.push({ attribute: key, ...auditable('from', from), ...auditable('to', to) });
    }
  }
  return changes;
}

function auditable(side: 'from' | 'to', value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  const json = JSON.stringify(value);
  return json.length <= MAX_AUDITED_VALUE_LENGTH ? { [side]: value } : {};
}
