import type { DataSource, EntityManager } from 'typeorm';
import type { ApprovalMode } from '../config';
import { RoleEntity, RoleMemberEntity, UserEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, invalidError, notFoundError } from '../errors';
import { findPendingRequest, raiseChangeRequest, type ChangeRequestView } from '../governance/change-request-store';
import type { Applier } from '../governance/change-requests';
import { enqueueRoleChangeNotice } from '../governance/notices';
import { assertPermitted, type ChangeContext } from './change-context';
import { approvalModeAt, assertManagesRole, assertManagesUsers, governedGrantReason, isGoverned } from './grant-rules';
import { RoleDirectory } from './roles';
import { roleNameKey } from './role-name';

export interface RoleAssignmentOptions {
  /** Which changes through the admin API wait for a second person (APPROVAL_MODE). */
  readonly approvalMode: ApprovalMode;
  readonly approvalExpiryDays: number;
}

/** Roles to add to and withdraw from one user, each named by id or by name. */
export interface RoleEdit {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** A role a user holds, and which door granted it (ad, scim or local). */
export interface HeldRole {
  readonly id: string;
  readonly name: string;
  readonly risk: string;
  readonly source: string;
}

export type EditOutcome =
  | { readonly status: 'applied'; readonly added: string[]; readonly removed: string[]; readonly roles: HeldRole[]; readonly notice: boolean }
  | { readonly status: 'pending'; readonly changeRequest: ChangeRequestView };

/**
 * "Edit roles" (seed 000): an operator adds and withdraws roles of one user in one request. It
 * applies at once, or, when a grant in it is governed (or APPROVAL_MODE says every change is),
 * becomes one change request that a second person approves. Applied changes notify the user by
 * e-mail through the outbox, in the same transaction.
 */
export class RoleAssignments {
  constructor(private readonly dataSource: DataSource, private readonly options: RoleAssignmentOptions) {}

  /** A user's id from its id or its userName (as SCIM compares it: case-insensitively). */
  async userIdOf(reference: string): Promise<string> {
    const repository = this.dataSource.getRepository(UserEntity);
    const user = await repository.findOne({ where: { id: reference }, select: { id: true } })
      ?? await repository.findOne({ where: { userNameKey: reference.toLowerCase() }, select: { id: true } });
    if (!user) throw notFoundError(`No user "${reference}"`);
    return user.id;
  }

  async rolesOf(userId: string): Promise<HeldRole[]> {
    await this.user(this.dataSource.manager, userId);
    return heldRoles(this.dataSource.manager, userId);
  }

  async edit(context: ChangeContext, userId: string, edit: RoleEdit): Promise<EditOutcome> {
    assertPermitted(context, 'roles:assign');
    const manager = this.dataSource.manager;
    const user = await this.user(manager, userId);
    const add = await resolveRoles(manager, edit.add);
    const remove = await resolveRoles(manager, edit.remove);
    const both = add.filter((role) => remove.some((other) => other.id === role.id));
    if (both.length > 0) throw invalidError(`"${both[0]?.displayName ?? ''}" is both added and removed; name each role once`);
    if (add.length + remove.length === 0) throw invalidError('Name at least one role to add or remove');
    // The requester's scope first: a role or a user outside it is refused now, approval or not.
    for (const role of add) assertManagesRole(context, role, 'assign');
    for (const role of remove) assertManagesRole(context, role, 'withdraw');
    await assertManagesUsers(manager, context, [user.id]);
    const held = new Set((await heldRoles(manager, user.id)).map((role) => role.id));
    const granting = add.filter((role) => !held.has(role.id));
    const governed = granting.map((role) => governedGrantReason(context.actor, role)).filter((reason) => reason !== undefined);
    const payload = { userId: user.id, add: add.map((role) => role.id), remove: remove.map((role) => role.id), door: context.door };
    const mode = approvalModeAt(context, this.options.approvalMode);
    const changing = granting.length + remove.filter((role) => held.has(role.id)).length > 0;
    const needsApproval = isGoverned(context) && mode !== 'none' && (mode === 'all' ? changing : governed.length > 0);
    if (needsApproval) return { status: 'pending', changeRequest: await this.request(context, user, add, remove, payload, governed) };
    const applying: ChangeContext = mode === 'none' && governed.length > 0 ? { ...context, approvalWaived: true } : context;
    return transaction(this.dataSource, async (tx) => applyEdit(tx, applying, payload));
  }

  /** Raises the change request, once the rules the requester must meet now hold (a doomed request helps nobody). */
  private async request(
    context: ChangeContext, user: UserEntity, add: RoleEntity[], remove: RoleEntity[],
    payload: { userId: string; add: string[]; remove: string[]; door: string }, governed: string[],
  ): Promise<ChangeRequestView> {
    assertPermitted(context, 'roles:manage');
    return transaction(this.dataSource, async (manager) => {
      const target = { type: 'User', id: user.id, name: user.userName };
      const waiting = await findPendingRequest(manager, 'role-assignment', target, payload);
      if (waiting) return waiting;
      const parts = [
        ...(add.length > 0 ? [`add ${add.map((role) => `"${role.displayName}"`).join(', ')}`] : []),
        ...(remove.length > 0 ? [`remove ${remove.map((role) => `"${role.displayName}"`).join(', ')}`] : []),
      ];
      return raiseChangeRequest(manager, context, {
        kind: 'role-assignment', target, payload, expiryDays: this.options.approvalExpiryDays,
        summary: `${parts.join(' and ')} for ${user.userName}${governed.length > 0 ? ` (${governed.join('; ')})` : ''}`,
      });
    });
  }

  private async user(manager: EntityManager, userId: string): Promise<UserEntity> {
    const user = await manager.findOne(UserEntity, { where: { id: userId }, select: { id: true, userName: true } });
    if (!user) throw notFoundError(`User ${userId} not found`);
    return user;
  }
}

/**
 * Applies an edit in the caller's transaction through the one membership path (RoleDirectory), then
 * queues the user's notice. Also the applier of approved `role-assignment` requests.
 */
async function applyEdit(
  manager: EntityManager, context: ChangeContext, payload: { userId: string; add: readonly string[]; remove: readonly string[] },
): Promise<EditOutcome & { status: 'applied' }> {
  const roles = new RoleDirectory(manager.connection);
  const { added, removed } = await roles.editUserRoles(manager, context, payload.userId, payload);
  const names = (list: RoleEntity[]) => list.map((role) => role.displayName);
  const notice = await enqueueRoleChangeNotice(manager, {
    userId: payload.userId, added: names(added), removed: names(removed), changedBy: context.actor.name,
    ...(context.approval ? { approvedBy: context.approval.approvedBy.name, changeRequestId: context.approval.changeRequestId } : {}),
  });
  return {
    status: 'applied', added: added.map((role) => role.id), removed: removed.map((role) => role.id),
    roles: await heldRoles(manager, payload.userId), notice: notice.queued,
  };
}

export const applyRoleAssignment: Applier = async (manager, context, payload) => {
  const userId = typeof payload.userId === 'string' ? payload.userId : '';
  const ids = (value: unknown): string[] => Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
  if (!await manager.findOne(UserEntity, { where: { id: userId }, select: { id: true } })) {
    throw conflictError(`User ${userId} no longer exists`);
  }
  const applied = await applyEdit(manager, context, { userId, add: ids(payload.add), remove: ids(payload.remove) });
  return { added: applied.added, removed: applied.removed, notice: applied.notice };
};

async function heldRoles(manager: EntityManager, userId: string): Promise<HeldRole[]> {
  const rows = await manager.createQueryBuilder()
    .select(['r.id AS id', 'r.display_name AS name', 'r.risk AS risk', 'm.source AS source'])
    .from(RoleMemberEntity, 'm').innerJoin(RoleEntity, 'r', 'r.id = m.role_id')
    .where('m.user_id = :userId', { userId }).orderBy('r.display_name_key', 'ASC')
    .getRawMany<HeldRole>();
  return rows.map((row) => ({ id: row.id, name: row.name, risk: row.risk, source: row.source }));
}

/** Roles named by id or by name (as they read); an unknown one is a 400 naming it. */
async function resolveRoles(manager: EntityManager, references: readonly string[]): Promise<RoleEntity[]> {
  const found: RoleEntity[] = [];
  for (const reference of new Set(references)) {
    if (typeof reference !== 'string' || reference.trim() === '') throw invalidError('A role is named by its id or its name');
    const role = await manager.findOneBy(RoleEntity, { id: reference })
      ?? await manager.findOneBy(RoleEntity, { displayNameKey: roleNameKey(reference) });
    if (!role) throw invalidError(`No role "${reference}" (see GET /admin/api/roles or scimd roles list)`);
    if (!found.some((role2) => role2.id === role.id)) found.push(role);
  }
  return found;
}
