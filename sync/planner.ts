/**
 * The planner: directory state vs store state → everything the run will do, computed before anything
 * is written (so the guard can refuse it whole and a dry run can show it). Pure: no LDAP, no SQL.
 */
import { roleNameKey } from '../src/identity/role-name';
import { mapUser, type MappedUser } from './mapping';
import { dnKey, flattenMembers, isUnder, nestedClosure } from './nesting';
import { diffProfiles } from './profile-diff';
import { allSteps, type Steps } from './steps';
import type {
  AttributeChange, DirectoryGroup, DirectoryRead, DirectoryUser, PlanAction, PlanOptions, RolePlanEntry, StoredUser,
  StoreView, SyncMapping, SyncPlan, UserPlanEntry,
} from './types';

export const REASON_SOFT_MATCHED = 'soft-matched by userName';
export const REASON_DELETED = 'deleted in Active Directory';
export const REASON_LEFT_SCOPE = 'left the sync scope';
export const REASON_REACTIVATED = 'active in Active Directory again';

/** A user entry as the planner makes it: UserPlanEntry plus the manager reference still to resolve. */
export interface PlannedUserEntry extends UserPlanEntry {
  /**
   * Present when `profile.enterprise.manager.value` holds the manager's *anchor* rather than a
   * store user id, because the manager is created by this same run or is not in StoreView.users.
   * The applier replaces the value with the id of the user holding this anchor (after the run's
   * creations), or drops the manager when no such user exists. Absent: the profile is final.
   */
  readonly managerAnchor?: string;
}

export interface PlannedSync extends SyncPlan {
  readonly users: readonly PlannedUserEntry[];
}

const PLAN_ACTIONS: readonly PlanAction[] = ['create', 'update', 'deactivate', 'delete', 'reactivate', 'unchanged', 'skip'];

/** The run's counters, one per action, derived from the entries. */
export function countPlan(plan: SyncPlan): Record<PlanAction, number> {
  const counts = Object.fromEntries(PLAN_ACTIONS.map((action) => [action, 0])) as Record<PlanAction, number>;
  for (const entry of plan.users) counts[entry.action] += 1;
  return counts;
}

/** Anchors compare case-insensitively (a GUID typed in upper case is the same object). */
const anchorKey = (anchor: string): string => anchor.toLowerCase();

interface Leaving {
  readonly stored: StoredUser;
  readonly reason: string;
  readonly dn: string | null;
}

/** A directory user that mapped, with the store user it updates (by anchor, or soft-matched), if any. */
interface Matched {
  readonly user: DirectoryUser;
  readonly mapped: MappedUser;
  readonly stored: StoredUser | undefined;
  readonly softMatched: boolean;
}

/** Who holds a userName once the plan is applied. */
interface Holder {
  readonly owner: string;
  readonly description: string;
}

export function planSync(
  read: DirectoryRead,
  store: StoreView,
  mapping: SyncMapping,
  options: PlanOptions,
  now: Date,
): PlannedSync {
  // ---- the two sides, indexed ---------------------------------------------------------------------
  const stored = new Map<string, StoredUser>();
  for (const user of store.users) {
    // Only AD-sourced users are the sync's to change; anything else is never planned for.
    if (user.source === 'ad' && user.anchor !== null && !stored.has(anchorKey(user.anchor))) {
      stored.set(anchorKey(user.anchor), user);
    }
  }
  const candidates = new Map<string, StoredUser>();
  for (const user of store.softMatchCandidates) {
    const name = user.userName.toLowerCase();
    if (user.anchor === null && user.source !== 'ad' && !candidates.has(name)) candidates.set(name, user);
  }
  const directory = new Map<string, DirectoryUser>();
  for (const user of read.users) if (!directory.has(anchorKey(user.anchor))) directory.set(anchorKey(user.anchor), user);

  const readDns = new Map<string, string>();
  for (const user of directory.values()) readDns.set(dnKey(user.dn), user.anchor);
  const storeDns = new Map<string, string>();
  for (const [dn, anchor] of store.anchorsByDn) storeDns.set(dnKey(dn), anchor);
  const anchorOfDn = (dn: string): string | undefined => {
    const key = dnKey(dn);
    return readDns.get(key) ?? storeDns.get(key);
  };

  // ---- who leaves -------------------------------------------------------------------------------
  const leaving = leavers(read, stored, directory);
  const deleting = options.deletePolicy === 'delete' ? new Set(leaving.keys()) : new Set<string>();

  // ---- map and match every directory user ---------------------------------------------------------
  const resolveManager = (dn: string): string | undefined => {
    const anchor = anchorOfDn(dn);
    return anchor === undefined || deleting.has(anchorKey(anchor)) ? undefined : anchor;
  };
  const skips: PlannedUserEntry[] = [];
  const skipped = new Set<string>();
  const skip = (user: DirectoryUser, existing: StoredUser | undefined, reason: string): void => {
    skipped.add(anchorKey(user.anchor));
    skips.push({ action: 'skip', anchor: user.anchor, dn: user.dn, userId: existing?.id ?? null, changes: [], reason });
  };
  const matched: Matched[] = [];
  const claimed = new Set<string>();
  for (const [key, user] of directory) {
    const existing = stored.get(key);
    const result = mapUser(user, mapping, now, resolveManager);
    if ('error' in result) {
      skip(user, existing, result.error);
      continue;
    }
    if (existing) {
      matched.push({ user, mapped: result, stored: existing, softMatched: false });
      continue;
    }
    const candidate = candidates.get(result.profile.userName.toLowerCase());
    if (candidate && options.softMatchByUserName && !claimed.has(candidate.id)) {
      claimed.add(candidate.id);
      matched.push({ user, mapped: result, stored: candidate, softMatched: true });
      continue;
    }
    matched.push({ user, mapped: result, stored: undefined, softMatched: false });
  }

  // ---- userName stays unique after the plan: a clash is skipped now rather than failing on apply ----
  const holders = new Map<string, Holder>();
  const hold = (userName: string, holder: Holder): void => {
    holders.set(userName.toLowerCase(), holder);
  };
  for (const [key, user] of stored) {
    if (!deleting.has(key) && (!directory.has(key) || skipped.has(key))) {
      hold(user.userName, { owner: key, description: `the Active Directory user ${user.anchor ?? ''} (${user.id})` });
    }
  }
  for (const candidate of candidates.values()) {
    if (!claimed.has(candidate.id)) {
      hold(candidate.userName, {
        owner: `id:${candidate.id}`,
        description: `user ${candidate.id}, which is not managed by Active Directory`
          + (options.softMatchByUserName ? '' : ' (soft-match by userName is off)'),
      });
    }
  }
  const ownerOf = (entry: Matched): string => anchorKey(entry.user.anchor);
  const keepsName = (entry: Matched): boolean =>
    entry.stored !== undefined && entry.stored.userName.toLowerCase() === entry.mapped.profile.userName.toLowerCase();
  for (const entry of matched) if (keepsName(entry)) hold(entry.mapped.profile.userName, { owner: ownerOf(entry), description: '' });
  const planned: Matched[] = [];
  for (const entry of matched) {
    const name = entry.mapped.profile.userName;
    const holder = holders.get(name.toLowerCase());
    if (holder !== undefined && holder.owner !== ownerOf(entry)) {
      const by = holder.description === '' ? `another Active Directory user (${holder.owner})` : holder.description;
      const existing = entry.softMatched ? undefined : entry.stored;
      skip(entry.user, existing, `userName "${name}" is already held by ${by}`);
      // Skipped, it keeps the name it has.
      if (existing && !holders.has(existing.userName.toLowerCase())) hold(existing.userName, { owner: ownerOf(entry), description: '' });
      continue;
    }
    hold(name, { owner: ownerOf(entry), description: `the Active Directory user ${entry.user.anchor}` });
    planned.push(entry);
  }

  // ---- user entries ---------------------------------------------------------------------------------
  const idByAnchor = new Map<string, string>();
  for (const [key, user] of stored) idByAnchor.set(key, user.id);
  for (const entry of planned) if (entry.stored) idByAnchor.set(anchorKey(entry.user.anchor), entry.stored.id);

  const users: PlannedUserEntry[] = planned.map((entry) => userEntry(entry, idByAnchor, store.reservedManagerIds));
  users.push(...skips);
  for (const [key, leaver] of leaving) users.push(leavingEntry(leaver, deleting.has(key)));

  // ---- roles ----------------------------------------------------------------------------------------
  const activeAfter = new Map<string, boolean>();
  for (const entry of planned) activeAfter.set(anchorKey(entry.user.anchor), entry.mapped.active);
  const isDesired = (anchor: string): boolean => {
    const key = anchorKey(anchor);
    if (skipped.has(key) || leaving.has(key)) return false;
    const after = activeAfter.get(key);
    if (after !== undefined) return after;
    // Not read this run: in a full run that means out of scope; in a delta run, unchanged since the
    // last one: a member unless the store knows it inactive.
    if (read.mode === 'full') return false;
    return stored.get(key)?.active ?? true;
  };
  const roles = planRoles(read.groups, store, mapping, anchorOfDn, isDesired, skipped, touchedUsers(store, directory, leaving));

  return { users, roles };
}

/**
 * The users a delta touched, for the roles planned for them only: each user read (with the groups it
 * is a direct member of) and each leaver. None when every role is planned whole.
 */
function touchedUsers(
  store: StoreView, directory: ReadonlyMap<string, DirectoryUser>, leaving: ReadonlyMap<string, Leaving>,
): Map<string, TouchedUser> {
  const touched = new Map<string, TouchedUser>();
  if ((store.rolesTouchedOnly?.size ?? 0) === 0) return touched;
  for (const [key, user] of directory) {
    if (user.memberOf === undefined) throw new Error(`${user.dn} was read without memberOf: its roles in unchanged groups cannot be planned`);
    touched.set(key, { anchor: user.anchor, memberOf: new Set(user.memberOf.map(dnKey)) });
  }
  // Deleted in AD (which drops the user from its groups without changing them) or out of scope: no group grants it anything now.
  for (const [key, leaver] of leaving) if (!touched.has(key)) touched.set(key, { anchor: leaver.stored.anchor ?? key, memberOf: new Set() });
  return touched;
}

/** Store users that leave: full runs by absence, delta runs by tombstone or out-of-scope notice. */
function leavers(
  read: DirectoryRead,
  stored: ReadonlyMap<string, StoredUser>,
  directory: ReadonlyMap<string, DirectoryUser>,
): Map<string, Leaving> {
  const leaving = new Map<string, Leaving>();
  if (read.mode === 'full') {
    for (const [key, user] of stored) {
      if (!directory.has(key)) leaving.set(key, { stored: user, reason: REASON_LEFT_SCOPE, dn: user.dn });
    }
    return leaving;
  }
  for (const tombstone of read.tombstones) {
    const key = anchorKey(tombstone.anchor);
    const user = stored.get(key);
    if (tombstone.kind === 'user' && user && !directory.has(key) && !leaving.has(key)) {
      leaving.set(key, { stored: user, reason: REASON_DELETED, dn: user.dn });
    }
  }
  for (const gone of read.outOfScope) {
    const key = anchorKey(gone.anchor);
    const user = stored.get(key);
    if (user && !directory.has(key) && !leaving.has(key)) leaving.set(key, { stored: user, reason: REASON_LEFT_SCOPE, dn: gone.dn });
  }
  return leaving;
}

function leavingEntry(leaver: Leaving, deleteIt: boolean): PlannedUserEntry {
  const { stored, reason, dn } = leaver;
  const base = { anchor: stored.anchor ?? '', dn, userId: stored.id };
  if (deleteIt) return { ...base, action: 'delete', changes: [], reason };
  // Already inactive (disabled earlier, or left before): nothing to do, and nothing to count twice.
  if (!stored.active) return { ...base, action: 'unchanged', changes: [], reason: `${reason} (already inactive)` };
  return { ...base, action: 'deactivate', changes: [{ attribute: 'active', from: true, to: false }], reason };
}

function userEntry(
  entry: Matched, idByAnchor: ReadonlyMap<string, string>, reservedManagerIds: ReadonlyMap<string, string> | undefined,
): PlannedUserEntry {
  const { user, mapped, stored, softMatched } = entry;
  // A copy of the top level is enough: mapUser made this profile for this plan alone, and the
  // manager below replaces `enterprise` rather than changing it (structuredClone cost ~20 µs a user).
  const profile = { ...mapped.profile };
  let managerAnchor: string | undefined;
  if (mapped.managerAnchor !== undefined) {
    const managerId = idByAnchor.get(anchorKey(mapped.managerAnchor));
    if (managerId === undefined) managerAnchor = mapped.managerAnchor;
    else profile.enterprise = { ...profile.enterprise, manager: { value: managerId } };
  } else if (mapped.managerDn !== undefined) {
    const reserved = reservedManagerIds?.get(dnKey(mapped.managerDn));
    if (reserved !== undefined) profile.enterprise = { ...profile.enterprise, manager: { value: reserved } };
  }
  const marker = managerAnchor === undefined ? {} : { managerAnchor };
  const base = { anchor: user.anchor, dn: user.dn, profile, ...marker };
  const inactive = mapped.inactiveReason === undefined ? {} : { reason: mapped.inactiveReason };

  if (stored === undefined) {
    return { ...base, action: 'create', userId: null, changes: diffProfiles({}, undefined, profile, mapped.active), ...inactive };
  }
  const changes: AttributeChange[] = diffProfiles(stored.profile, stored.active, profile, mapped.active);
  // A move or rename in AD changes no attribute but the DN the store resolves group members by.
  if (stored.dn !== null && dnKey(stored.dn) !== dnKey(user.dn)) changes.push({ attribute: 'dn', from: stored.dn, to: user.dn });
  const withId = { ...base, userId: stored.id, changes };
  if (softMatched) return { ...withId, action: 'update', reason: REASON_SOFT_MATCHED };
  if (stored.active && !mapped.active) return { ...withId, action: 'deactivate', ...inactive };
  if (!stored.active && mapped.active) return { ...withId, action: 'reactivate', reason: REASON_REACTIVATED };
  if (changes.length > 0) return { ...withId, action: 'update' };
  return { anchor: user.anchor, dn: user.dn, userId: stored.id, action: 'unchanged', changes: [] };
}

/** A role the mapping's rules target, with the groups granting it. */
export interface RoleTarget {
  roleName: string;
  create: boolean;
  madeFromGroup: boolean;
  renamedFrom?: string;
  groupAnchor: string;
  groupDn: string;
  /** The groups (as read) whose members, nested ones included, hold the role. */
  readonly groups: DirectoryGroup[];
  /** A rule names a group the read did not find: the group is gone, and grants nothing. */
  groupMissing: boolean;
}

/** A user a delta run touched (changed, deleted, out of scope), as its roles in unchanged groups are planned. */
export interface TouchedUser {
  readonly anchor: string;
  /** DN keys (nesting.ts dnKey) of the groups it is a direct member of; empty for a user that left. */
  readonly memberOf: ReadonlySet<string>;
}

/**
 * The roles the mapping's rules target, by role key, each with the groups granting it: rules naming
 * the same role (case-insensitively) union their groups.
 */
export function roleTargets(
  groups: readonly DirectoryGroup[],
  store: Pick<StoreView, 'roleNames' | 'linkedRoles'>,
  mapping: SyncMapping,
): Map<string, RoleTarget> {
  const groupsByDn = new Map<string, DirectoryGroup>();
  const groupsByAnchor = new Map<string, DirectoryGroup>();
  for (const group of groups) {
    if (!groupsByDn.has(dnKey(group.dn))) groupsByDn.set(dnKey(group.dn), group);
    if (!groupsByAnchor.has(anchorKey(group.anchor))) groupsByAnchor.set(anchorKey(group.anchor), group);
  }

  const targets = new Map<string, RoleTarget>();
  /** Rules naming one role (by key) union their members. */
  const target = (key: string, roleName: string, create: boolean, group: { anchor: string; dn: string }): RoleTarget => {
    let existing = targets.get(key);
    if (!existing) {
      existing = { roleName, create: false, madeFromGroup: false, groupAnchor: group.anchor, groupDn: group.dn, groups: [], groupMissing: false };
      targets.set(key, existing);
    }
    if (existing.groupAnchor === '' && existing.groupDn === '') Object.assign(existing, { groupAnchor: group.anchor, groupDn: group.dn });
    if (create && !store.roleNames.has(key)) existing.create = true;
    return existing;
  };

  for (const rule of mapping.groups) {
    if ('groupsUnder' in rule) {
      for (const group of groups) {
        const name = group.name.trim();
        if (name === '' || !isUnder(group.dn, rule.groupsUnder)) continue;
        // The role made from this group earlier, even if the group has been renamed since.
        const linked = store.linkedRoles.get(anchorKey(group.anchor));
        const role = target(linked?.key ?? roleNameKey(name), name, linked === undefined, group);
        if (linked !== undefined || !role.madeFromGroup) Object.assign(role, { roleName: name, madeFromGroup: true, groupAnchor: group.anchor, groupDn: group.dn });
        if (linked !== undefined && linked.name !== name) role.renamedFrom = linked.name;
        role.groups.push(group);
      }
      continue;
    }
    const group = 'guid' in rule.group
      ? groupsByAnchor.get(anchorKey(rule.group.guid))
      : groupsByDn.get(dnKey(rule.group.dn));
    // A group that is gone grants nothing: its role loses the members it gave.
    const role = target(roleNameKey(rule.role), rule.role, false, group ?? ('guid' in rule.group
      ? { anchor: rule.group.guid, dn: '' }
      : { anchor: '', dn: rule.group.dn }));
    if (group) role.groups.push(group);
    else role.groupMissing = true;
  }
  return targets;
}

/**
 * One entry per target role: rules naming the same role (case-insensitively) union their members.
 * A streamed full run calls it once its users are written, with what it recorded of them, one
 * role at a time (`only`, role keys), having read only that role's groups' members: roles outside
 * `only` get no entry (neither adds nor removes).
 *
 * A role in `store.rolesTouchedOnly` (a delta run, its groups unchanged) is planned for the `touched`
 * users only, from their memberOf: everyone else keeps the membership the store holds. Every other
 * role is planned whole, from its groups' member lists, which must then have been read.
 */
export function planRoles(...args: Parameters<typeof planRolesInSteps>): RolePlanEntry[] {
  return allSteps(planRolesInSteps(...args));
}

/** Members of a role resolved between two steps of planRolesInSteps. */
const MEMBERS_PER_STEP = 5_000;

/** planRoles a step at a time (sync/steps.ts): it yields after every MEMBERS_PER_STEP members of a role's groups. */
export function* planRolesInSteps(
  groups: readonly DirectoryGroup[],
  store: Pick<StoreView, 'roleMembers' | 'roleNames' | 'linkedRoles' | 'rolesTouchedOnly'>,
  mapping: SyncMapping,
  anchorOfDn: (dn: string) => string | undefined,
  isDesired: (anchor: string) => boolean,
  skipped: ReadonlySet<string>,
  touched: ReadonlyMap<string, TouchedUser> = new Map(),
  only?: ReadonlySet<string>,
): Steps<RolePlanEntry[]> {
  const groupsByDn = new Map<string, DirectoryGroup>();
  for (const group of groups) if (!groupsByDn.has(dnKey(group.dn))) groupsByDn.set(dnKey(group.dn), group);
  const touchedOnly = store.rolesTouchedOnly ?? new Set<string>();

  const planned = [...roleTargets(groups, store, mapping).entries()].filter(([key]) => only === undefined || only.has(key));
  const entries: RolePlanEntry[] = [];
  for (const [key, role] of planned) {
    const current = new Map<string, string>();
    for (const anchor of store.roleMembers.get(key) ?? []) current.set(anchorKey(anchor), anchor);
    const desired = touchedOnly.has(key)
      ? desiredOfTouched(role, groupsByDn, touched, isDesired)
      : yield* desiredOfGroups(role, groupsByDn, anchorOfDn, isDesired);
    // Touched-only: the users the delta did not touch are neither added nor removed.
    const considered = (anchor: string): boolean => !touchedOnly.has(key) || touched.has(anchor);
    const addAnchors = [...desired].filter(([anchor]) => !current.has(anchor)).map(([, anchor]) => anchor).sort();
    // A skipped user keeps the memberships it has: a mapping error is not a reason to take access away.
    const removeAnchors = [...current]
      .filter(([anchor]) => !desired.has(anchor) && !skipped.has(anchor) && considered(anchor))
      .map(([, anchor]) => anchor)
      .sort();
    entries.push({
      roleName: role.roleName, create: role.create, madeFromGroup: role.madeFromGroup, groupAnchor: role.groupAnchor,
      groupDn: role.groupDn, addAnchors, removeAnchors, ...(role.renamedFrom === undefined ? {} : { renamedFrom: role.renamedFrom }),
    });
  }
  return entries;
}

/** Who holds the role after the run, by anchor key: the desired users among its groups' flattened members. */
function* desiredOfGroups(
  role: RoleTarget, groupsByDn: ReadonlyMap<string, DirectoryGroup>,
  anchorOfDn: (dn: string) => string | undefined, isDesired: (anchor: string) => boolean,
): Steps<Map<string, string>> {
  const desired = new Map<string, string>();
  let resolved = 0;
  for (const group of role.groups) {
    for (const nested of nestedClosure(group, groupsByDn).values()) {
      // Planning the role whole from a group whose members were not read would take everyone's membership away.
      if (nested.membersUnread === true) throw new Error(`role "${role.roleName}" is planned whole but the members of ${nested.dn} were not read`);
    }
    for (const memberDn of flattenMembers(group, groupsByDn)) {
      const anchor = anchorOfDn(memberDn);
      if (anchor !== undefined && isDesired(anchor)) desired.set(anchorKey(anchor), anchor);
      resolved += 1;
      if (resolved % MEMBERS_PER_STEP === 0) yield;
    }
  }
  return desired;
}

/** The touched users who hold the role after the run: desired, and a direct member of one of its groups or of a group nested in them. */
function desiredOfTouched(
  role: RoleTarget, groupsByDn: ReadonlyMap<string, DirectoryGroup>,
  touched: ReadonlyMap<string, TouchedUser>, isDesired: (anchor: string) => boolean,
): Map<string, string> {
  const granting = new Set<string>();
  for (const group of role.groups) for (const key of nestedClosure(group, groupsByDn).keys()) granting.add(key);
  const desired = new Map<string, string>();
  for (const [key, user] of touched) {
    if (isDesired(user.anchor) && [...user.memberOf].some((group) => granting.has(group))) desired.set(key, user.anchor);
  }
  return desired;
}
