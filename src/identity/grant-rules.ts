import type { EntityManager } from 'typeorm';
import type { ApprovalMode } from '../config';
import { forbiddenError } from '../errors';
import type { Actor, ChangeContext } from './change-context';
import { managesRole } from './managed-scope';

/** The parts of a role the grant rules read. */
export interface GrantedRole {
  readonly id: string;
  readonly displayName: string;
  readonly risk: string;
  /** JSON array of permission grants, as stored. */
  readonly permissions: string;
}

/**
 * Why granting this role is a governed change (four-eyes), or undefined when it is not: a
 * high-risk role, or a role carrying a permission the granting actor does not hold itself (no one
 * hands out more than they have without a second person agreeing).
 */
export function governedGrantReason(actor: Actor, role: GrantedRole): string | undefined {
  if (role.risk === 'high') return `"${role.displayName}" is a high-risk role`;
  // `*` in the actor's set holds everything; a `*` on the role is held only by another `*`.
  const holds = (permission: string): boolean => actor.permissions.has('*') || actor.permissions.has(permission);
  const beyond = (JSON.parse(role.permissions) as string[]).filter((permission) => !holds(permission));
  return beyond.length > 0
    ? `"${role.displayName}" carries permissions ${actor.name} does not hold (${beyond.join(', ')})`
    : undefined;
}

/**
 * Whether the four-eyes rule applies to this context's grants: the local CLI operator is the root
 * of trust, a change applied on approval has had its second person, and APPROVAL_MODE=none waives
 * it for the admin API's role edits; everyone else's governed grants wait for one.
 */
export function isGoverned(context: ChangeContext): boolean {
  return context.door !== 'cli' && context.approval === undefined && context.approvalWaived !== true;
}

/**
 * APPROVAL_MODE governs the doors where people edit roles (the admin API and the console); every
 * other door keeps the default: governed changes wait for approval.
 */
export function approvalModeAt(context: ChangeContext, configured: ApprovalMode): ApprovalMode {
  return context.door === 'admin' || context.door === 'console' ? configured : 'high-risk';
}

/** Where a governed grant goes instead, as the refusal tells each door. */
export function approvalPath(context: ChangeContext, userId: string): string {
  const path = `POST /admin/api/users/${userId}/roles`;
  if (context.door === 'scim') {
    return `identity providers provision people; they do not make administrators. A person holding roles:manage asks `
      + `for it at ${path}, and a second person holding approvals:decide approves it (docs/governance.md)`;
  }
  return `ask for it at ${path}: it becomes a change request that a second person holding approvals:decide approves`;
}

/** Refuses (403) a grant or withdrawal of a role outside the actor's managed roles. */
export function assertManagesRole(context: ChangeContext, role: { id: string; displayName: string }, verb: 'assign' | 'withdraw'): void {
  if (!managesRole(context.actor.manages, role.id)) {
    throw forbiddenError(`${context.actor.name} may not ${verb} "${role.displayName}": it is not among the roles `
      + `${context.actor.name}'s roles manage`);
  }
}

/**
 * Refuses (403) a change to users holding a role outside the actor's managed roles: a Help Desk
 * Administrator manages users with no role, the Auditor or the Help Desk Administrator role, and
 * not an administrator. One query for all the users, and none when the actor manages every role.
 */
export async function assertManagesUsers(manager: EntityManager, context: ChangeContext, userIds: readonly string[]): Promise<void> {
  const scope = context.actor.manages;
  if (scope === 'all' || userIds.length === 0) return;
  const unique = [...new Set(userIds)];
  for (let i = 0; i < unique.length; i += 500) {
    const ids = unique.slice(i, i + 500);
    const managed = [...scope];
    const rows = await manager.query(
      `SELECT m.user_id AS user_id, u.user_name AS user_name, r.display_name AS role_name FROM role_members m
       JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
       WHERE m.user_id IN (${ids.map(() => '?').join(', ')})
       ${managed.length > 0 ? `AND m.role_id NOT IN (${managed.map(() => '?').join(', ')})` : ''} LIMIT 1`,
      [...ids, ...managed],
    ) as { user_id: string; user_name: string; role_name: string }[];
    const first = rows[0];
    if (first) {
      throw forbiddenError(`${context.actor.name} may not manage user "${first.user_name}": they hold "${first.role_name}", `
        + `which is not among the roles ${context.actor.name}'s roles manage`);
    }
  }
}
