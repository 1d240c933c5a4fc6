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
