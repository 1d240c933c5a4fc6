/** Roles as floor 2 sees them. A role is served over SCIM as a Group. */
export type RoleKind = 'system' | 'custom';
export type Assignability = 'person' | 'service' | 'any';
export type Risk = 'normal' | 'high';
/** Whose roles a role's holders manage, and so may assign: every role, none, or the roles listed. */
export type ManagesMode = 'all' | 'none' | 'selected';

export const ASSIGNABILITIES: readonly Assignability[] = ['person', 'service', 'any'];
export const RISKS: readonly Risk[] = ['normal', 'high'];
export const MANAGES_MODES: readonly ManagesMode[] = ['all', 'none', 'selected'];

export interface RoleRecord {
  readonly id: string;
  readonly displayName: string;
  readonly externalId: string | null;
  readonly description: string | null;
  readonly kind: RoleKind;
  readonly assignableTo: Assignability;
  readonly risk: Risk;
  readonly permissions: readonly string[];
  readonly source: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A role as a User's read-only `groups` attribute shows it (RFC 7643 §4.1.2). */
export interface RoleReference {
  readonly id: string;
  readonly displayName: string;
}

export interface RoleMember {
  readonly userId: string;
  /** The member's displayName, or userName when it has none. */
  readonly display: string;
  readonly source: string;
}

/**
 * What a role grants and who may hold it: the parts of a role that only `roles:manage` defines
 * (the admin API, the CLI; src/identity/role-definitions.ts). SCIM never sets them.
 */
export interface RoleDefinition {
  readonly permissions: readonly string[];
  readonly risk: Risk;
  readonly assignableTo: Assignability;
  readonly manages: ManagesMode;
  /** Role ids whose holders this role's holders manage; empty unless `manages` is selected. */
  readonly managedRoles: readonly string[];
}

/** The attributes of a role that its writers may set. */
export interface RoleInput {
  readonly displayName: string;
  readonly externalId?: string;
  readonly description?: string;
  /** Parts of the definition to change (`roles:manage`); absent leaves them as they are. */
  readonly definition?: Partial<RoleDefinition>;
}

/** A change to a role's membership, as PUT and PATCH express it; users are named by id. */
export type MemberChange =
  | { readonly kind: 'add'; readonly ids: readonly string[] }
  | { readonly kind: 'remove'; readonly ids: readonly string[] }
  | { readonly kind: 'removeAll' }
  | { readonly kind: 'replace'; readonly ids: readonly string[] };
