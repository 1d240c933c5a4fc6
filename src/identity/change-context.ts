import { allows, type Permission } from '../auth/permissions';
import { forbiddenError } from '../errors';

/**
 * Who is making a change and through which door; every write carries one, and so does its audit
 * event, so that floor 2 checks its rules with the acting identity in hand whatever the door.
 */
export interface Actor {
  /**
   * A service account (SCIM, admin API), a person (a User with a personal access token), the
   * sync's own identity, or the local CLI operator.
   */
  readonly type: 'service-account' | 'person' | 'cli' | 'sync';
  /** The service account's or the person's id; null for the CLI operator. */
  readonly id: string | null;
  readonly name: string;
  /** What the actor may do: the union of its roles' permissions (`*` grants everything). */
  readonly permissions: ReadonlySet<string>;
  /** Whose roles the actor manages and may assign: the union of its roles' managed roles. */
  readonly manages: ManagedScope;
}

/**
 * The roles an actor manages: every role, or these role ids. A user holding no role is managed by
 * every manager; a user holding a role outside the scope is not (Help Desk Administrator).
 */
export type ManagedScope = 'all' | ReadonlySet<string>;

/** Who approved a governed change that is being applied on approval (four-eyes). */
export interface Approval {
  readonly changeRequestId: string;
  readonly approvedBy: { readonly type: string; readonly id: string | null; readonly name: string };
}

/** Where a change came in: SCIM, the CLI, the directory sync, the admin JSON API or the web console. */
export type Door = 'scim' | 'cli' | 'sync' | 'admin' | 'console';

export interface ChangeContext {
  readonly actor: Actor;
  readonly door: Door;
  readonly requestId?: string;
  /**
   * Present while an approved change request is applied: the governed change passes the four-eyes
   * rule (every other rule is checked again), and its audit names the approver.
   */
  readonly approval?: Approval;
  /**
   * The operator switched the four-eyes rule off for role edits through the admin API
   * (APPROVAL_MODE=none): governed grants apply without a change request, and their audit says so.
   */
  readonly approvalWaived?: true;
}

/** The sync's non-personal identity (seeded by migration 1763900000002, holding the Batch sync role). */
export const BATCH_SYNC_ACCOUNT = { id: '00000000-0000-4000-9000-000000000001', name: 'Batch sync' } as const;

/**
 * The context of the sync's writes: Batch sync through the sync's door, with the permissions its
 * account's roles hold (ServiceAccounts.actingAs); `requestId` names the run. Without permissions
 * it may start nothing and write nothing, and without a managed scope it assigns no role.
 */
export function batchSyncContext(
  options: { requestId?: string; permissions?: ReadonlySet<string>; manages?: ManagedScope } = {},
): ChangeContext {
  return {
    actor: {
      type: 'sync', id: BATCH_SYNC_ACCOUNT.id, name: BATCH_SYNC_ACCOUNT.name, permissions: options.permissions ?? new Set(),
      manages: options.manages ?? new Set(),
    },
    door: 'sync',
    ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
  };
}

/**
 * The local operator: whoever runs the CLI on the server, with access to its configuration and
 * database, is the root of trust (bootstrap, break-glass) and may do everything; the audit names them.
 */
export function localOperatorContext(name: string): ChangeContext {
  return { actor: { type: 'cli', id: null, name, permissions: new Set(['*']), manages: 'all' }, door: 'cli' };
}

/**
 * Refuses (403) an actor whose roles do not grant `permission`. Every write of floor 2 asks this
 * first, whatever the door; a door may ask it earlier too (SCIM does, before reading a body).
 */
export function assertPermitted(context: ChangeContext, permission: Permission): void {
  if (!allows(context.actor.permissions, permission)) {
    throw forbiddenError(`${context.actor.name} lacks the ${permission} permission`);
  }
}

/**
 * The source of authority a door's writes carry, for users, roles and memberships alike: what the
 * sync writes is Active Directory's; what SCIM writes, the identity provider's; the rest is local.
 */
export function sourceOf(context: ChangeContext): 'ad' | 'scim' | 'local' {
  if (context.door === 'sync') return 'ad';
  return context.door === 'scim' ? 'scim' : 'local';
}

export const nowIso = (): string => new Date().toISOString();
