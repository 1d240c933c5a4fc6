import type { DataSource, EntityManager } from 'typeorm';
import { currentActor } from '../auth/actors';
import { ChangeRequestEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, DomainError, forbiddenError, invalidError, notFoundError } from '../errors';
import { assertPermitted, nowIso, type ChangeContext, type Door } from '../identity/change-context';
import { lockOption } from '../identity/user-writes';
import { recordAudit } from './audit';
import {
  CHANGE_REQUEST_STATUSES, toChangeRequestView, type ChangeRequestKind, type ChangeRequestStatus, type ChangeRequestView,
} from './change-request-store';

/**
 * Applies an approved request's payload inside the approval's transaction, as the requester (with
 * their permissions as they stand now) and with the approval in the context; throws a domain error
 * when a rule no longer allows it. Returns what was applied, for the request's result.
 */
export type Applier = (manager: EntityManager, context: ChangeContext, payload: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Work that cannot run inside a database transaction (starting a sync run), done once the approval committed. */
export type FollowUp = (context: ChangeContext, payload: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface ChangeRequestsOptions {
  readonly appliers: Partial<Record<ChangeRequestKind, Applier>>;
  readonly followUps?: Partial<Record<ChangeRequestKind, FollowUp>>;
}

export interface ChangeRequestList {
  readonly total: number;
  readonly items: ChangeRequestView[];
}

/**
 * Four-eyes: a change request is approved or rejected by a person holding approvals:decide who did
 * not ask for it, before it expires. Approval applies it atomically with every rule checked again.
 */
export class ChangeRequests {
  constructor(private readonly dataSource: DataSource, private readonly options: ChangeRequestsOptions) {}

  async list(query: { status?: ChangeRequestStatus; limit: number; offset: number }): Promise<ChangeRequestList> {
    await this.expireDue();
    const where = query.status ? { status: query.status } : {};
    const [rows, total] = await this.dataSource.getRepository(ChangeRequestEntity).findAndCount({
      where, order: { requestedAt: 'DESC', id: 'ASC' }, take: query.limit, skip: query.offset,
    });
    return { total, items: rows.map(toChangeRequestView) };
  }

  async get(id: string): Promise<ChangeRequestView> {
    await this.expireDue();
    const row = await this.dataSource.getRepository(ChangeRequestEntity).findOneBy({ id });
    if (!row) throw notFoundError(`No change request ${id}`);
    return toChangeRequestView(row);
  }

  /** Marks pending requests past their expiry as expired (audited). */
  async expireDue(now: string = nowIso()): Promise<number> {
    const due = await this.dataSource.query(
      "SELECT id FROM change_requests WHERE status = 'pending' AND expires_at <= ?", [now],
    ) as { id: string }[];
    for (const { id } of due) {
      await transaction(this.dataSource, async (manager) => {
        const row = await manager.findOne(ChangeRequestEntity, { where: { id }, ...lockOption(manager) });
        if (row?.status !== 'pending') return;
        await manager.update(ChangeRequestEntity, { id }, { status: 'expired', decidedAt: now });
        await recordAudit(manager, systemContext(), {
          action: 'change-request.expire', targetType: row.targetType, targetId: row.targetId, targetName: row.targetName,
          changes: { changeRequest: id, summary: row.summary, expiresAt: row.expiresAt },
        });
      });
    }
    return due.length;
  }

  async approve(context: ChangeContext, id: string, comment?: string): Promise<ChangeRequestView> {
    let approved: ChangeRequestEntity | undefined;
    let applying = false;
    try {
      await transaction(this.dataSource, async (manager) => {
        const row = await this.decidable(manager, context, id, 'approve');
        applying = true;
        const requester = await currentActor(manager, requesterOf(row));
        const applier = this.options.appliers[row.kind as ChangeRequestKind];
        if (!requester) throw conflictError(`${row.requestedByName}, who asked for it, can no longer act`);
        if (!applier) throw conflictError(`Change requests of kind ${row.kind} cannot be applied by this server`);
        const payload = JSON.parse(row.payload) as Record<string, unknown>;
        const result = await applier(manager, {
          actor: requester,
          door: doorOf(payload, context.door),
          ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
          approval: approvalBy(context, row.id),
        }, payload);
        Object.assign(row, decided(context, 'approved', comment), { result: JSON.stringify(result) });
        await manager.update(ChangeRequestEntity, { id }, pickDecision(row));
        await recordAudit(manager, context, {
          action: 'change-request.approve', targetType: row.targetType, targetId: row.targetId, targetName: row.targetName,
          changes: { changeRequest: id, summary: row.summary, requestedBy: requesterOf(row), ...(comment ? { comment } : {}) },
        });
        approved = row;
      });
    } catch (error) {
      if (!applying || !(error instanceof DomainError)) throw error;
      // The change no longer holds: nothing of it was written (the transaction rolled back); the
      // request ends failed, with the reason, so nobody approves it again expecting it to work.
      await this.fail(context, id, error, comment);
      throw conflictError(`The change could not be applied, and the request is now failed: ${error.message}`);
    }
    const row = approved;
    const followUp = row ? this.options.followUps?.[row.kind as ChangeRequestKind] : undefined;
    if (row && followUp) {
      const requester = await currentActor(this.dataSource.manager, requesterOf(row));
      const more = await followUp({ actor: requester ?? context.actor, door: context.door, approval: approvalBy(context, row.id) },
        JSON.parse(row.payload) as Record<string, unknown>);
      await this.dataSource.getRepository(ChangeRequestEntity).update({ id }, {
        result: JSON.stringify({ ...(JSON.parse(row.result ?? '{}') as Record<string, unknown>), ...more }),
      });
    }
    return this.get(id);
  }

  async reject(context: ChangeContext, id: string, comment?: string): Promise<ChangeRequestView> {
    await transaction(this.dataSource, async (manager) => {
      const row = await this.decidable(manager, context, id, 'reject');
      Object.assign(row, decided(context, 'rejected', comment));
      await manager.update(ChangeRequestEntity, { id }, pickDecision(row));
      await recordAudit(manager, context, {
        action: 'change-request.reject', targetType: row.targetType, targetId: row.targetId, targetName: row.targetName,
        changes: { changeRequest: id, summary: row.summary, requestedBy: requesterOf(row), ...(comment ? { comment } : {}) },
      });
    });
    return this.get(id);
  }

  /** The locked request, once the rules of deciding it hold: who decides, and that it still waits. */
  private async decidable(manager: EntityManager, context: ChangeContext, id: string, verb: string): Promise<ChangeRequestEntity> {
    assertPermitted(context, 'approvals:decide');
    if (context.actor.type !== 'person') {
      throw forbiddenError(`Only a person decides a change request; ${context.actor.name} is a ${context.actor.type}`);
    }
    const row = await manager.findOne(ChangeRequestEntity, { where: { id }, ...lockOption(manager) });
    if (!row) throw notFoundError(`No change request ${id}`);
    if (row.requestedByType === context.actor.type && row.requestedById === context.actor.id) {
      throw forbiddenError(`${context.actor.name} asked for this change and cannot ${verb} it: a second person decides (four-eyes)`);
    }
    if (row.status === 'pending' && row.expiresAt <= nowIso()) {
      throw conflictError(`The change request expired at ${row.expiresAt}; ask again`);
    }
    if (row.status !== 'pending') throw conflictError(`The change request is ${row.status}, not pending`);
    return row;
  }

  private async fail(context: ChangeContext, id: string, failure: DomainError, comment: string | undefined): Promise<void> {
    await transaction(this.dataSource, async (manager) => {
      const row = await manager.findOne(ChangeRequestEntity, { where: { id }, ...lockOption(manager) });
      if (row?.status !== 'pending') return;
      Object.assign(row, decided(context, 'failed', comment), { result: JSON.stringify({ error: failure.message }) });
      await manager.update(ChangeRequestEntity, { id }, pickDecision(row));
      await recordAudit(manager, context, {
        action: 'change-request.fail', targetType: row.targetType, targetId: row.targetId, targetName: row.targetName,
        changes: { changeRequest: id, summary: row.summary, error: failure.message },
      });
    });
  }
}

export function isChangeRequestStatus(value: string): value is ChangeRequestStatus {
  return (CHANGE_REQUEST_STATUSES as readonly string[]).includes(value);
}

/** A request raised by the sync applies as the sync (its memberships are Active Directory's). */
function doorOf(payload: Record<string, unknown>, fallback: Door): Door {
  const door = payload.door;
  return door === 'sync' || door === 'admin' || door === 'console' || door === 'cli' || door === 'scim' ? door : fallback;
}

function decided(context: ChangeContext, status: ChangeRequestStatus, comment: string | undefined) {
  if (comment !== undefined && comment.length > 2000) throw invalidError('A comment is at most 2000 characters');
  return {
    status, decidedByType: context.actor.type, decidedById: context.actor.id, decidedByName: context.actor.name.slice(0, 255),
    decidedAt: nowIso(), comment: comment ?? null,
  };
}

function pickDecision(row: ChangeRequestEntity) {
  return {
    status: row.status, decidedByType: row.decidedByType, decidedById: row.decidedById, decidedByName: row.decidedByName,
    decidedAt: row.decidedAt, comment: row.comment, result: row.result,
  };
}

function approvalBy(context: ChangeContext, changeRequestId: string) {
  return { changeRequestId, approvedBy: { type: context.actor.type, id: context.actor.id, name: context.actor.name } };
}

function requesterOf(row: ChangeRequestEntity) {
  return { type: row.requestedByType, id: row.requestedById, name: row.requestedByName };
}

/** Expiry is scimd's own doing, not a person's. */
function systemContext(): ChangeContext {
  return { actor: { type: 'cli', id: null, name: 'scimd (expiry)', permissions: new Set(), manages: new Set() }, door: 'admin' };
}
