/**
 * The permission catalogue. A role holds a set of these; a caller may do the union of its roles'
 * permissions. `*` grants everything, including permissions added in later versions.
 */
export const PERMISSIONS = {
  'users:read': 'Read users',
  'users:write': 'Create, change and delete users',
  'groups:read': 'Read roles (SCIM Groups) and their members',
  'groups:write': 'Create, rename and delete roles as SCIM Groups and change their membership',
  'roles:assign': 'Assign and withdraw the roles a caller manages (its roles\' managed roles)',
  'roles:manage': 'Define custom roles (permissions, risk, managed roles) and ask for governed changes, which a second person approves',
  'service-accounts:read': 'Read service accounts and their tokens (never the secrets)',
  'service-accounts:write': 'Create service accounts, issue and revoke tokens',
  'audit:read': 'Read the audit log',
  'sync:read': 'Read Active Directory sync runs and reports',
  'sync:run': 'Start Active Directory sync runs',
  'approvals:decide': 'Approve or reject high-risk changes requested by someone else (four-eyes)',
  'metrics:read': 'Read the Prometheus metrics at /metrics',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = '*';
export type PermissionGrant = Permission | typeof ALL_PERMISSIONS;

export function isPermissionGrant(value: string): value is PermissionGrant {
  return value === ALL_PERMISSIONS || Object.hasOwn(PERMISSIONS, value);
}

/** True when the granted set allows `needed`. */
export function allows(granted: ReadonlySet<string>, needed: Permission): boolean {
  return granted.has(ALL_PERMISSIONS) || granted.has(needed);
}
