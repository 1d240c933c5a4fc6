/** Builders for the sync unit tests: directory users and groups, store views, reads. */
import { roleNameKey } from '../../../src/identity/role-name';
import { DEFAULT_ATTRIBUTE_MAP, mapUser } from '../../../sync/mapping';
import type {
  DirectoryGroup, DirectoryRead, DirectoryTombstone, DirectoryUser, PlanOptions, StoredUser, StoreView, SyncMapping,
} from '../../../sync/types';

export const NOW = new Date('2025-06-01T12:00:00.000Z');
export const BASE = 'DC=corp,DC=example';
export const DEFAULT_MAPPING: SyncMapping = { attributes: DEFAULT_ATTRIBUTE_MAP, groups: [] };
export const OPTIONS: PlanOptions = { softMatchByUserName: false, deletePolicy: 'deactivate' };
export const WATERMARK = { invocationId: 'a5b6c7d8-0000-4000-8000-000000000001', highestCommittedUsn: 1000, server: 'dc1.corp.example' };

/** A FILETIME (decimal string) for a moment. */
export function filetime(date: Date): string {
  return (BigInt(date.getTime()) * 10_000n + 116_444_736_000_000_000n).toString();
}

export function guid(n: number, prefix = '0'): string {
  return `${prefix.repeat(8)}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function userDn(n: number, ou = 'OU=Staff'): string {
  return `CN=User ${n},${ou},${BASE}`;
}

type AttributeInput = Record<string, string | readonly string[] | undefined>;

/** An enabled directory user `u<n>@corp.example` with the usual attributes; `undefined` removes one. */
export function adUser(n: number, attributes: AttributeInput = {}, options: { dn?: string; anchor?: string } = {}): DirectoryUser {
  const defaults: AttributeInput = {
    userprincipalname: `u${n}@corp.example`,
    samaccountname: `u${n}`,
    givenname: `Given${n}`,
    sn: `Family${n}`,
    displayname: `Given${n} Family${n}`,
    mail: `u${n}@corp.example`,
    useraccountcontrol: '512',
    accountexpires: '9223372036854775807',
  };
  const merged: Record<string, readonly string[]> = {};
  for (const [name, value] of Object.entries({ ...defaults, ...attributes })) {
    if (value === undefined) continue;
    merged[name.toLowerCase()] = typeof value === 'string' ? [value] : value;
  }
  return { anchor: options.anchor ?? guid(n), dn: options.dn ?? userDn(n), usnChanged: 100 + n, attributes: merged };
}

export function adGroup(name: string, memberDns: readonly string[], options: { dn?: string; anchor?: string; n?: number } = {}): DirectoryGroup {
  return {
    anchor: options.anchor ?? guid(options.n ?? name.length * 1000 + name.charCodeAt(0), 'f'),
    dn: options.dn ?? `CN=${name},OU=Groups,${BASE}`,
    name,
    usnChanged: 500,
    memberDns,
  };
}

/** The store's copy of a directory user as the last sync left it (manager left out). */
export function storedFrom(user: DirectoryUser, overrides: Partial<StoredUser> = {}): StoredUser {
  const mapped = mapUser(user, DEFAULT_MAPPING, NOW);
  if ('error' in mapped) throw new Error(mapped.error);
  return {
    id: `id-${user.anchor.slice(-4)}`,
    source: 'ad',
    anchor: user.anchor,
    dn: user.dn,
    userName: mapped.profile.userName,
    active: mapped.active,
    profile: mapped.profile,
    ...overrides,
  };
}

export function fullRead(users: readonly DirectoryUser[], groups: readonly DirectoryGroup[] = []): DirectoryRead {
  return { mode: 'full', users, groups, tombstones: [], outOfScope: [], watermark: WATERMARK };
}

export function deltaRead(parts: {
  users?: readonly DirectoryUser[];
  groups?: readonly DirectoryGroup[];
  tombstones?: readonly DirectoryTombstone[];
  outOfScope?: readonly { anchor: string; dn: string }[];
}): DirectoryRead {
  return {
    mode: 'delta',
    users: parts.users ?? [],
    groups: parts.groups ?? [],
    tombstones: parts.tombstones ?? [],
    outOfScope: parts.outOfScope ?? [],
    watermark: WATERMARK,
  };
}

export function storeView(parts: {
  users?: readonly StoredUser[];
  candidates?: readonly StoredUser[];
  roleMembers?: Record<string, readonly string[]>;
  roleNames?: readonly string[];
  /** Roles made from AD groups: group anchor → role name. */
  linkedRoles?: Record<string, string>;
  anchorsByDn?: Record<string, string>;
} = {}): StoreView {
  const users = parts.users ?? [];
  const anchorsByDn = new Map<string, string>(
    parts.anchorsByDn
      ? Object.entries(parts.anchorsByDn)
      : users.filter((u) => u.dn !== null && u.anchor !== null).map((u) => [(u.dn ?? '').toLowerCase(), u.anchor ?? '']),
  );
  const roleMembers = new Map<string, ReadonlySet<string>>(
    Object.entries(parts.roleMembers ?? {}).map(([name, anchors]) => [roleNameKey(name), new Set(anchors)]),
  );
  const linkedRoles = new Map(Object.entries(parts.linkedRoles ?? {})
    .map(([anchor, name]) => [anchor.toLowerCase(), { key: roleNameKey(name), name }]));
  const roleNames = new Set([...(parts.roleNames ?? []), ...Object.keys(parts.roleMembers ?? {}), ...Object.values(parts.linkedRoles ?? {})]
    .map(roleNameKey));
  return { users, softMatchCandidates: parts.candidates ?? [], roleMembers, roleNames, linkedRoles, anchorsByDn };
}

/** A user created through SCIM (no anchor), the kind soft-match adopts. */
export function scimUser(userName: string, id = `scim-${userName}`): StoredUser {
  return { id, source: 'scim', anchor: null, dn: null, userName, active: true, profile: { userName, title: 'From SCIM' } };
}

/** Freezes a value and everything inside it (Maps and Sets excepted), to prove code does not mutate it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Map) && !(value instanceof Set)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
