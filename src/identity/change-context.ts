import { allows, type Permission } from '../auth/permissions';
import { forbiddenError } from '../errors';

/**
 * Who is making a change and through which door; every write carries one, and so does its audit
 * event, so that floor 2 checks its rules with the acting identity in hand whatever the door.
 */
export interface Actor {
  /** A service account (SCIM, admin API), the sync's own identity, or the local CLI operator. */
  readonly type: 'service-account' | 'cli' | 'sync';
  readonly id: string | null;
  readonly name: string;
  /** What the actor may do: the union of its roles' permissions (`*` grants everything). */
  readonly permissions: ReadonlySet<string>;
}

export type Door = 'scim' | 'cli' | 'sync' | 'admin';

export interface ChangeContext {
  readonly actor: Actor;
  readonly door: Door;
  readonly requestId?: string;
}

/** The sync's non-personal identity (seeded by migration 1763900000002, holding the Batch sync role). */
export const BATCH_SYNC_ACCOUNT = { id: '00000000-0000-4000-9000-000000000001', name: 'Batch sync' } as const;

/**
 * The context of the sync's writes: Batch sync through the sync's door, with the permissions its
 * account's roles hold (ServiceAccounts.permissionsOf); `requestId` names the run. Without
 * permissions it may start nothing and write nothing.
 */
export function batchSyncContext(options: { requestId?: string; permissions?: ReadonlySet<string> } = {}): ChangeContext {
  return {
    actor: { type: 'sync', id: BATCH_SYNC_ACCOUNT.id, name: BATCH_SYNC_ACCOUNT.name, permissions: options.permissions ?? new Set() },
    door: 'sync',
    ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
  };
}

/**
 * The local operator: whoever runs the CLI on the server, with access to its configuration and
 * database, is the root of trust (bootstrap, break-glass) and may do everything; the audit names them.
 */
export function localOperatorContext(name: string): ChangeContext {
  return { actor: { type: 'cli', id: null, name, permissions: new Set(['*']) }, door: 'cli' };
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
