import type { EntityManager } from 'typeorm';
import { AuditEventEntity } from '../db/entities';
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
  await manager.insert(AuditEventEntity, {
    occurredAt: nowIso(),
    actorType: context.actor.type,
    actorId: context.actor.id,
    actorName: context.actor.name.slice(0, 255),
    door: context.door,
    action: record.action,
    targetType: record.targetType,
    targetId: record.targetId,
    targetName: record.targetName?.slice(0, 255) ?? null,
    changes: record.changes === undefined ? null : JSON.stringify(record.changes),
    requestId: context.requestId?.slice(0, 64) ?? null,
  });
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
