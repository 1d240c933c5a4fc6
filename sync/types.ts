/**
 * The contracts between the parts of the Active Directory sync (read → map → plan → guard →
 * apply → report). Pure data: no LDAP, no SQL.
 */
import type { StoredDirectoryUser } from '../src/identity/directory-view';
import type { UserProfile } from '../src/identity/user-profile';


/** A user object as read from the directory. Attribute names are lower-cased; values are strings. */
export interface DirectoryUser {
  /** objectGUID in canonical string form (RFC 4122 layout, first three fields byte-swapped). */
  readonly anchor: string;
  readonly dn: string;
  readonly usnChanged: number;
  /** Every requested attribute except objectGUID, lower-cased names, string values (multi-valued kept). */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
  /**
   * Delta runs: DNs of the groups the user is a direct member of (`memberOf`, every range). A delta
   * plans the user's place in the roles of unchanged groups from it, without reading those groups' members.
   */
  readonly memberOf?: readonly string[];
}

/** A group object as read from the directory, with its complete member list (ranged retrieval). */
export interface DirectoryGroup {
  readonly anchor: string;
  readonly dn: string;
  /** cn, or sAMAccountName when there is no cn. */
  readonly name: string;
  readonly usnChanged: number;
  /** DNs of direct members (users and groups), however many (member;range=… followed to the end). */
  readonly memberDns: readonly string[];
  /**
   * Delta runs: true when the members were not read (memberDns is then empty), because neither the
   * group nor any group nested in it changed since the watermark and no role it grants is re-planned whole.
   */
  readonly membersUnread?: boolean;
  /**
   * DNs of the groups nested directly in this one that the read found (their memberOf names it). Set
   * by every read; the nesting of a group whose members were not read is known from it alone.
   */
  readonly nestedGroupDns?: readonly string[];
}

/** A deleted object seen through the Show Deleted control (delta runs). */
export interface DirectoryTombstone {
  readonly anchor: string;
  readonly kind: 'user' | 'group';
  readonly usnChanged: number;
}

/** Where a delta run starts and ends: a DC (its invocationId) and a point in its USN sequence. */
export interface Watermark {
  readonly invocationId: string;
  readonly highestCommittedUsn: number;
  /** dnsHostName or dsServiceName of the DC that answered, for the report. */
  readonly server: string;
}

/** A directory snapshot as one run sees it. In a delta run only changed objects are present. */
export interface DirectoryRead {
  readonly mode: 'full' | 'delta';
  /** Full: every user in scope. Delta: users in scope changed since the watermark. */
  readonly users: readonly DirectoryUser[];
  /**
   * Every group the mapping names and the groups nested in them. Full: read whole. Delta: read whole
   * when it or a group nested in it changed since the watermark (or a role it grants is re-planned
   * whole); otherwise without members (`membersUnread`).
   */
  readonly groups: readonly DirectoryGroup[];
  /** Delta only: users deleted since the watermark. */
  readonly tombstones: readonly DirectoryTombstone[];
  /** Delta only: users changed since the watermark that are no longer in scope (moved out, filter). */
  readonly outOfScope: readonly { readonly anchor: string; readonly dn: string }[];
  /** The point this read reached; the next delta starts here. */
  readonly watermark: Watermark;
}

/** A user in the store, as the planner compares it with the directory: floor 2's view of it. */
export type StoredUser = StoredDirectoryUser;

/** The store side of the plan's input. */
export interface StoreView {
  /** Full: every AD-sourced user. Delta: the AD-sourced users the read names, by anchor. */
  readonly users: readonly StoredUser[];
  /** Users without an anchor whose userName matches a directory user's (soft-match candidates). */
  readonly softMatchCandidates: readonly StoredUser[];
  /**
   * AD-sourced members of each role the mapping targets, by role key (roleNameKey) → user anchors.
   * For a role in `rolesTouchedOnly`, only the memberships of the users the delta touched.
   */
  readonly roleMembers: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Delta runs: keys of the roles whose groups did not change since the watermark. Their membership
   * is planned for the users the delta touched only (changed, deleted, out of scope): nobody else's
   * can have changed. Absent or empty: every role is planned whole.
   */
  readonly rolesTouchedOnly?: ReadonlySet<string>;
  /** Keys (roleNameKey) of the names of roles that exist. */
  readonly roleNames: ReadonlySet<string>;
  /**
   * Roles made from AD groups, by the group's objectGUID (lower-case): the role's key and name. A
   * group renamed in AD is found here, and its role renamed, instead of a second role being made.
   */
  readonly linkedRoles: ReadonlyMap<string, { readonly key: string; readonly name: string }>;
  /**
   * DN (lower-case) → anchor of active AD-sourced users in the store: every one in a full run; in a
   * delta run those the read names (managers of changed users, members of groups read whole).
   */
  readonly anchorsByDn: ReadonlyMap<string, string>;
  /**
   * Streamed full runs: managers named by users read before them, by DN (lower-case) → the user id
   * the run reserved for each. A user naming one gets that id as its manager; the manager is
   * created with it when the run reads it (full-run.ts).
   */
  readonly reservedManagerIds?: ReadonlyMap<string, string>;
}

export interface PlanOptions {
  /** Match a directory user to a store user without anchor by userName (off by default). */
  readonly softMatchByUserName: boolean;
  /** What leaving the scope does: deactivate (default) or delete. */
  readonly deletePolicy: 'deactivate' | 'delete';
}

/** The sync mapping file (SYNC_MAPPING_FILE): AD attribute → SCIM attribute, and AD group → role. */
export interface SyncMapping {
  /**
   * SCIM attribute path → AD attribute (lower-case). Paths: `userName`, `externalId`, `displayName`,
   * `name.givenName`, `name.familyName`, `title`, `emails[type eq "work"].value`,
   * `phoneNumbers[type eq "work"].value`, `enterprise.department`, `enterprise.employeeNumber`,
   * `enterprise.manager` (from the manager DN, resolved to the manager's user id)…
   */
  readonly attributes: Readonly<Record<string, string>>;
  readonly groups: readonly GroupRule[];
}

export type GroupRule =
  /** One AD group (by objectGUID or DN) grants an existing role, by role name. */
  | { readonly group: { readonly guid: string } | { readonly dn: string }; readonly role: string }
  /** Every group under this OU becomes a custom role of the same name (created when missing). */
  | { readonly groupsUnder: string; readonly createRoles: true };

/** One attribute's change, as the report shows it. Secrets never appear. */
export interface AttributeChange {
  readonly attribute: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

export type PlanAction = 'create' | 'update' | 'deactivate' | 'delete' | 'reactivate' | 'unchanged' | 'skip';

/** What the run will do to one user. */
export interface UserPlanEntry {
  readonly action: PlanAction;
  readonly anchor: string;
  readonly dn: string | null;
  /** The store's user id, when the user exists in the store. */
  readonly userId: string | null;
  readonly changes: readonly AttributeChange[];
  /** The mapped profile (create/update/reactivate), as the identity layer's writer takes it. */
  readonly profile?: UserProfile;
  /** Why: e.g. "left the sync scope", "disabled in AD", "soft-matched by userName", a mapping error. */
  readonly reason?: string;
}

/** What the run will do to one role's AD-sourced membership. */
export interface RolePlanEntry {
  /** The role's name: the mapping's role name, or the group's (current) name for a role made from the group. */
  readonly roleName: string;
  /** The role must be created first (a `groupsUnder` rule). */
  readonly create: boolean;
  /**
   * The role is made from the group (a `groupsUnder` rule): it is linked to the group by
   * `groupAnchor` and follows the group's name. Otherwise the mapping names an existing role.
   */
  readonly madeFromGroup: boolean;
  /** The role's name before the group was renamed in AD: the run renames the role (made from the group) to `roleName`. */
  readonly renamedFrom?: string;
  readonly groupAnchor: string;
  readonly groupDn: string;
  /** Anchors of users to add to / remove from the role (nested groups already flattened). */
  readonly addAnchors: readonly string[];
  readonly removeAnchors: readonly string[];
}

export interface SyncPlan {
  readonly users: readonly UserPlanEntry[];
  readonly roles: readonly RolePlanEntry[];
}
