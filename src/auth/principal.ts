import type { ChangeContext, Door, ManagedScope } from '../identity/change-context';
import { allows, type Permission } from './permissions';

/**
 * The authenticated caller of a request: a service account (an identity provider, an integration)
 * or a person (a User acting with a personal access token), and what its roles allow.
 */
export interface Principal {
  readonly kind: 'service-account' | 'person';
  /** The service account's id, or the person's User id. */
  readonly id: string;
  readonly name: string;
  readonly tokenId: string;
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<string>;
  /** Whose roles the caller manages (its roles' managed roles). */
  readonly manages: ManagedScope;
  /** When the token presented expires (ISO 8601 UTC), if it does: a remembered principal lasts no longer. */
  readonly tokenExpiresAt?: string | null;
}

export function may(principal: Principal, permission: Permission): boolean {
  return allows(principal.permissions, permission);
}

/** The context of a change an authenticated caller makes through a door: who, with what permissions. */
export function contextOf(principal: Principal, door: Door, requestId?: string): ChangeContext {
  return {
    actor: {
      type: principal.kind, id: principal.id, name: principal.name, permissions: principal.permissions, manages: principal.manages,
    },
    door,
    ...(requestId === undefined ? {} : { requestId }),
  };
}
