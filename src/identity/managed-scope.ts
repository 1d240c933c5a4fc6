import type { ManagedScope } from './change-context';

/** The columns of a role that say what its holders manage (roles.manages, roles.managed_roles). */
export interface ManagesColumns {
  readonly manages: string;
  readonly managedRoles: string | null;
}

/**
 * The union of what several roles manage: `all` when one of them manages all roles, else the role
 * ids they select (a role that manages `none` adds nothing).
 */
export function scopeOf(roles: readonly ManagesColumns[]): ManagedScope {
  if (roles.some((role) => role.manages === 'all')) return 'all';
  const ids = new Set<string>();
  for (const role of roles) {
    if (role.manages === 'selected' && role.managedRoles !== null) {
      for (const id of JSON.parse(role.managedRoles) as string[]) ids.add(id);
    }
  }
  return ids;
}

export function managesRole(scope: ManagedScope, roleId: string): boolean {
  return scope === 'all' || scope.has(roleId);
}

/** The held role ids outside the scope: a user holding any of them is not the actor's to manage. */
export function unmanagedRoles(scope: ManagedScope, heldRoleIds: readonly string[]): string[] {
  return scope === 'all' ? [] : heldRoleIds.filter((id) => !scope.has(id));
}
