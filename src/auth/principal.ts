import type { ChangeContext, Door } from '../identity/change-context';
import { allows, type Permission } from './permissions';

/** The authenticated caller of a request: a service account and what its roles allow. */
export interface Principal {
  readonly accountId: string;
  readonly name: string;
  readonly tokenId: string;
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<string>;
}

export function may(principal: Principal, permission: Permission): boolean {
  return allows(principal.permissions, permission);
}

/** The context of a change an authenticated caller makes through a door: who, with what permissions. */
export function contextOf(principal: Principal, door: Door, requestId?: string): ChangeContext {
  return {
    actor: { type: 'service-account', id: principal.accountId, name: principal.name, permissions: principal.permissions },
    door,
    ...(requestId === undefined ? {} : { requestId }),
  };
}
