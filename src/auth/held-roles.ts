import type { ManagedScope } from '../identity/change-context';
import { scopeOf } from '../identity/managed-scope';

/**
 * A role an authenticating caller holds, as the per-request authentication queries select it
 * (a LEFT JOIN: a caller holding no role gives one row of nulls).
 */
export interface HeldRoleRow {
  readonly role_name: string | null;
  readonly permissions: string | null;
  readonly manages: string | null;
  readonly managed_roles: string | null;
}

/** What a caller's roles grant together: their names, the union of permissions and of managed roles. */
export function grantsOf(rows: readonly HeldRoleRow[]): { roles: string[]; permissions: Set<string>; manages: ManagedScope } {
  const held = rows.filter((row) => row.role_name !== null);
  return {
    roles: held.map((row) => row.role_name as string).sort(),
    permissions: new Set(held.flatMap((row) => JSON.parse(row.permissions ?? '[]') as string[])),
    manages: scopeOf(held.map((row) => ({ manages: row.manages ?? 'none', managedRoles: row.managed_roles }))),
  };
}
