import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ChangeRequestEntity } from '../db/entities';
import { nowIso, type ChangeContext } from '../identity/change-context';
import { recordAudit } from './audit';

/** What a change request asks for; each kind has its applier (src/governance/change-requests.ts). */
export const CHANGE_REQUEST_KINDS = ['role-assignment', 'role-definition', 'sync-release', 'service-account', 'service-token'] as const;
export type ChangeRequestKind = (typeof CHANGE_REQUEST_KINDS)[number];
export const CHANGE_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'failed'] as const;
export type ChangeRequestStatus = (typeof CHANGE_REQUEST_STATUSES)[number];

/** A governed change waiting for, or decided by, a second person. */
export interface ChangeRequestView {
  readonly id: string;
  readonly kind: ChangeRequestKind;
  readonly status: ChangeRequestStatus;
  readonly summary: string;
  readonly target: { readonly type: string; readonly id: string; readonly name: string | null };
  readonly payload: Record<string, unknown>;
  readonly requestedBy: { readonly type: string; readonly id: string | null; readonly name: string };
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly decidedBy: { readonly type: string; readonly id: string | null; readonly name: string } | null;
  readonly decidedAt: string | null;
  readonly comment: string | null;
  readonly result: Record<string, unknown> | null;
}

export interface NewChangeRequest {
  readonly kind: ChangeRequestKind;
  readonly summary: string;
  readonly target: { readonly type: string; readonly id: string; readonly name?: string | null };
  /** What to apply on approval; applied as it stands then, with every rule checked again. */
  readonly payload: Record<string, unknown>;
  /** Days until it expires unapproved. */
  readonly expiryDays: number;
}

const DAY_MS = 86_400_000;

/**
 * Records a change request with the caller's transaction manager (so a request and whatever made
 * it commit together) and audits it (`change-request.create`) in the same transaction.
 */
export async function raiseChangeRequest(
  manager: EntityManager, context: ChangeContext, request: NewChangeRequest,
): Promise<ChangeRequestView> {
  const requestedAt = nowIso();
  const row: ChangeRequestEntity = Object.assign(new ChangeRequestEntity(), {
    id: randomUUID(),
    kind: request.kind,
    status: 'pending',
    summary: request.summary,
    payload: JSON.stringify(request.payload),
    targetType: request.target.type,
    targetId: request.target.id,
    targetName: request.target.name?.slice(0, 255) ?? null,
    requestedByType: context.actor.type,
    requestedById: context.actor.id,
    requestedByName: context.actor.name.slice(0, 255),
    requestedAt,
    expiresAt: new Date(Date.parse(requestedAt) + request.expiryDays * DAY_MS).toISOString(),
    decidedByType: null, decidedById: null, decidedByName: null, decidedAt: null, comment: null, result: null,
  });
  await manager.insert(ChangeRequestEntity, row);
  await recordAudit(manager, context, {
    action: 'change-request.create', targetType: request.target.type, targetId: request.target.id,
    targetName: request.target.name ?? null,
    changes: { changeRequest: row.id, kind: request.kind, summary: request.summary, expiresAt: row.expiresAt },
  });
  return toChangeRequestView(row);
}

/** A pending request of this kind for this target whose payload says the same, if one is waiting. */
export async function findPendingRequest(
  manager: EntityManager, kind: ChangeRequestKind, target: { type: string; id: string }, payload: Record<string, unknown>,
): Promise<ChangeRequestView | undefined> {
  const rows = await manager.find(ChangeRequestEntity, { where: { kind, status: 'pending', targetType: target.type, targetId: target.id } });
  const wanted = JSON.stringify(payload);
  const now = nowIso();
  const row = rows.find((candidate) => candidate.payload === wanted && candidate.expiresAt > now);
  return row ? toChangeRequestView(row) : undefined;
}

export function toChangeRequestView(row: ChangeRequestEntity): ChangeRequestView {
  return {
    id: row.id,
    kind: row.kind as ChangeRequestKind,
    status: row.status as ChangeRequestStatus,
    summary: row.summary,
    target: { type: row.targetType, id: row.targetId, name: row.targetName },
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    requestedBy: { type: row.requestedByType, id: row.requestedById, name: row.requestedByName },
    requestedAt: row.requestedAt,
    expiresAt: row.expiresAt,
    decidedBy: row.decidedByType === null ? null
      : { type: row.decidedByType, id: row.decidedById, name: row.decidedByName ?? '' },
    decidedAt: row.decidedAt,
    comment: row.comment,
    result: row.result === null ? null : JSON.parse(row.result) as Record<string, unknown>,
  };
}
