/**
 * AD user → SCIM-shaped profile. The attribute map (SCIM path → AD attribute) has defaults that the
 * mapping file overrides and extends; `active` always comes from the account flags
 * (userAccountControl ACCOUNTDISABLE, accountExpires), never from the map.
 */
import type { EnterpriseProfile, MultiValue, PersonName, UserProfile } from '../src/identity/user-profile';
import { InvalidAccountValueError, isDisabled, isExpired } from './ldap/account-control';
import { parseMappingFile, type MappingFileRule } from './mapping-file';
import type { DirectoryUser, GroupRule, SyncMapping } from './types';

/** SCIM path → AD attribute (lower-case). `objectguid` stands for the anchor (DirectoryUser.anchor). */
export const DEFAULT_ATTRIBUTE_MAP: Readonly<Record<string, string>> = Object.freeze({
  userName: 'userprincipalname',
  externalId: 'objectguid',
  'name.givenName': 'givenname',
  'name.familyName': 'sn',
  displayName: 'displayname',
  'emails[type eq "work"].value': 'mail',
  'phoneNumbers[type eq "work"].value': 'telephonenumber',
  title: 'title',
  'enterprise.department': 'department',
  'enterprise.employeeNumber': 'employeeid',
  'enterprise.manager': 'manager',
});

/** The AD attribute that stands for the anchor: it is not read as an attribute but taken from DirectoryUser.anchor. */
export const ANCHOR_ATTRIBUTE = 'objectguid';

/** Paths the mapping file cannot remove: every user needs a userName, and externalId carries the anchor. */
const REQUIRED_PATHS = ['userName', 'externalId'] as const;

/** Attributes every sync reads besides the mapped ones (account state, and sAMAccountName for reports). */
const ALWAYS_READ = ['useraccountcontrol', 'accountexpires', 'samaccountname'] as const;

export const REASON_DISABLED = 'disabled in Active Directory';
export const REASON_EXPIRED = 'account expired';

/**
 * Reads and checks a mapping file's text and merges its attribute map over the defaults.
 * Throws an Error naming each bad key.
 */
export function loadMapping(jsonText: string): SyncMapping {
  const file = parseMappingFile(jsonText);
  const attributes: Record<string, string> = { ...DEFAULT_ATTRIBUTE_MAP };
  const problems: string[] = [];
  for (const [path, adAttribute] of Object.entries(file.attributes ?? {})) {
    if (adAttribute === null) {
      if ((REQUIRED_PATHS as readonly string[]).includes(path)) {
        problems.push(`attributes["${path}"] cannot be null: every synced user needs one`);
      }
      delete attributes[path];
    } else {
      attributes[path] = adAttribute.toLowerCase();
    }
  }
  if (problems.length > 0) throw new Error(`Invalid sync mapping file: ${problems.join('; ')}`);
  return { attributes, groups: file.groups.map(toGroupRule) };
}

function toGroupRule(rule: MappingFileRule): GroupRule {
  if (rule.groupsUnder !== undefined) return { groupsUnder: rule.groupsUnder.trim(), createRoles: true };
  // The schema guarantees `group` with exactly one of guid/dn, and `role`, on every other rule.
  const group = rule.group ?? {};
  const role = (rule.role ?? '').trim();
  if (group.guid !== undefined) return { group: { guid: normalizeGuid(group.guid) }, role };
  return { group: { dn: (group.dn ?? '').trim() }, role };
}

/** `{6F9619FF-8B86-…}` → `6f9619ff-8b86-…`: the canonical form the source produces. */
export function normalizeGuid(guid: string): string {
  return guid.trim().replace(/^\{|\}$/g, '').toLowerCase();
}

/** Lower-case AD attributes the source must request for users (objectGUID and the DN come anyway). */
export function userAttributesToRead(mapping: SyncMapping): string[] {
  const names = new Set<string>(ALWAYS_READ);
  for (const adAttribute of Object.values(mapping.attributes)) {
    const name = adAttribute.toLowerCase();
    if (name !== ANCHOR_ATTRIBUTE) names.add(name);
  }
  return [...names].sort();
}

export interface MappedUser {
  /** The SCIM-shaped profile, `active` included. `enterprise.manager.value` is the manager's anchor (see managerAnchor). */
  readonly profile: UserProfile;
  readonly active: boolean;
  /** Why the account is inactive: "disabled in Active Directory" or "account expired". */
  readonly inactiveReason?: string;
  /** The manager's DN as AD holds it, when the manager attribute is mapped and set. */
  readonly managerDn?: string;
  /**
   * The manager's anchor, when `resolveDn` resolved managerDn. Whenever it is present the profile
   * holds `enterprise.manager = { value: managerAnchor }`: an anchor, not yet a store user id.
   */
  readonly managerAnchor?: string;
}

export type MapResult = MappedUser | { readonly error: string };

/** A DN → anchor lookup for manager references (the planner passes one over the read and the store). */
export type DnResolver = (dn: string) => string | undefined;

const MULTI_PATH = /^(\w+)\[type eq "([^"]+)"\]\.(\w+)$/;
const NESTED_PATH = /^(name|enterprise)\.(\w+)$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Maps one directory user. A user without the attribute userName comes from, or whose userName the
 * store would refuse, maps to `{ error }` (the planner reports it as skipped).
 */
export function mapUser(user: DirectoryUser, mapping: SyncMapping, now: Date, resolveDn?: DnResolver): MapResult {
  const read = (adAttribute: string): string | undefined => {
    const name = adAttribute.toLowerCase();
    if (name === ANCHOR_ATTRIBUTE) return user.anchor;
    return (user.attributes[name] ?? []).find((value) => value !== '');
  };

  const userNameSource = mapping.attributes['userName'];
  if (userNameSource === undefined) return { error: 'the mapping has no source attribute for userName' };
  const userName = read(userNameSource);
  if (userName === undefined || userName.trim() === '') {
    return { error: `missing ${userNameSource}, which userName is mapped from` };
  }
  if (userName.length > 255) return { error: `${userNameSource} is longer than 255 characters` };
  if (CONTROL_CHARACTERS.test(userName)) return { error: `${userNameSource} contains control characters` };

  const profile: UserProfile = { userName };
  let managerDn: string | undefined;
  let managerAnchor: string | undefined;
  for (const { path, adAttribute, set } of settersOf(mapping)) {
    const value = read(adAttribute);
    if (value === undefined) continue;
    if (path === 'enterprise.manager') {
      managerDn = value;
      managerAnchor = resolveDn?.(value);
      if (managerAnchor !== undefined) setNested(profile, 'enterprise', 'manager', { value: managerAnchor });
      continue;
    }
    set(profile, value);
  }

  const state = accountState(user, now);
  if ('error' in state) return state;
  profile.active = state.active;
  return {
    profile,
    active: state.active,
    ...(state.reason === undefined ? {} : { inactiveReason: state.reason }),
    ...(managerDn === undefined ? {} : { managerDn }),
    ...(managerAnchor === undefined ? {} : { managerAnchor }),
  };
}

/** How one mapped path (not userName) is read and written into a profile. */
interface PathSetter {
  readonly path: string;
  readonly adAttribute: string;
  readonly set: (profile: UserProfile, value: string) => void;
}

/** The mapping's paths parsed once per mapping, not once per user (a full sync maps every user). */
const setterCache = new WeakMap<SyncMapping['attributes'], readonly PathSetter[]>();

function settersOf(mapping: SyncMapping): readonly PathSetter[] {
  let setters = setterCache.get(mapping.attributes);
  if (setters === undefined) {
    setters = Object.entries(mapping.attributes).filter(([path]) => path !== 'userName')
      .map(([path, adAttribute]) => ({ path, adAttribute, set: setterOf(path) }));
    setterCache.set(mapping.attributes, setters);
  }
  return setters;
}

function setterOf(path: string): PathSetter['set'] {
  const multi = MULTI_PATH.exec(path);
  if (multi) {
    const [, attribute = '', type = '', subAttribute = ''] = multi;
    return (profile, value) => setMultiValued(profile, attribute, type, subAttribute, value);
  }
  const nested = NESTED_PATH.exec(path);
  if (nested) {
    const [, parent = '', child = ''] = nested;
    return (profile, value) => setNested(profile, parent as 'name' | 'enterprise', child, value);
  }
  return (profile, value) => {
    (profile as unknown as Record<string, unknown>)[path] = value;
  };
}

function setNested(profile: UserProfile, parent: 'name' | 'enterprise', child: string, value: unknown): void {
  const target: PersonName | EnterpriseProfile = profile[parent] ?? {};
  (target as Record<string, unknown>)[child] = value;
  if (parent === 'name') profile.name = target as PersonName;
  else profile.enterprise = target as EnterpriseProfile;
}

/** The first value of a multi-valued attribute (in map order) is its primary one. */
function setMultiValued(profile: UserProfile, attribute: string, type: string, subAttribute: string, value: string): void {
  const record = profile as unknown as Record<string, MultiValue[] | undefined>;
  const list = record[attribute] ?? [];
  let item = list.find((candidate) => candidate.type === type);
  if (!item) {
    item = list.length === 0 ? { type, primary: true } : { type };
    list.push(item);
  }
  item[subAttribute] = value;
  record[attribute] = list;
}

// ---- account state: userAccountControl and accountExpires (sync/ldap/account-control.ts) ---------

/** Active unless ACCOUNTDISABLE is set or accountExpires has passed; a value AD cannot hold is an error. */
function accountState(user: DirectoryUser, now: Date): { active: boolean; reason?: string } | { error: string } {
  const uac = user.attributes['useraccountcontrol']?.[0];
  const expires = user.attributes['accountexpires']?.[0];
  try {
    if (uac !== undefined && isDisabled(uac)) return { active: false, reason: REASON_DISABLED };
    if (expires !== undefined && isExpired(expires, now)) return { active: false, reason: REASON_EXPIRED };
  } catch (error) {
    if (error instanceof InvalidAccountValueError) return { error: error.message };
    throw error;
  }
  return { active: true };
}
