import type { DirectoryView, StoredDirectoryUser } from '../src/identity/directory-view';
import type { DeltaScope } from './delta-scope';
import type { DirectoryRead, StoreView, SyncMapping } from './types';

/**
 * DNs a delta looks up one by one (an IN list per 500, over a column without an index); past this,
 * one read of every active AD user's DN costs less.
 */
const DN_LOOKUP_LIMIT = 2_000;

/**
 * What the planner needs of the store. A full read loads every AD-sourced user; a delta run only
 * those the read names (and their managers), the DNs it names, and of each role either every
 * AD-sourced member (roles planned whole) or the memberships of the users it touched (the others, see
 * delta-scope.ts), so its cost follows the changes, not the directory.
 */
export async function buildStoreView(
  directory: DirectoryView, read: DirectoryRead, mapping: SyncMapping, softMatch: boolean, scope?: DeltaScope,
): Promise<StoreView> {
  let users: StoredDirectoryUser[];
  let anchorsByDn: Map<string, string>;
  if (read.mode === 'full') {
    anchorsByDn = await directory.anchorsByDn();
    users = await directory.adUsers();
  } else {
    const managerAttribute = mapping.attributes['enterprise.manager'];
    const managerDns = managerAttribute === undefined ? [] : read.users.flatMap((user) => user.attributes[managerAttribute] ?? []);
    anchorsByDn = await anchorsOfDns(directory, read, managerDns);
    const managerAnchors = managerDns.flatMap((dn) => anchorsByDn.get(dn.toLowerCase()) ?? []);
    users = await directory.adUsers([...new Set([
      ...touchedAnchors(read),
      ...managerAnchors,
    ])]);
  }
  const known = new Set(users.map((user) => user.anchor));
  const userNameAttribute = mapping.attributes.userName ?? 'userprincipalname';
  const candidates = softMatch
    ? await directory.unanchoredUsersByUserName(read.users
      .filter((user) => !known.has(user.anchor))
      .flatMap((user) => user.attributes[userNameAttribute]?.slice(0, 1) ?? []))
    : [];
  if (scope !== undefined) {
    const roleMembers = await directory.adRoleMembersByKey([...scope.wholeRoles]);
    const touched = await directory.adRoleMembershipsOf([...scope.touchedOnlyRoles], touchedAnchors(read));
    for (const [key, members] of touched) roleMembers.set(key, members);
    return {
      users, softMatchCandidates: candidates, roleMembers, rolesTouchedOnly: scope.touchedOnlyRoles,
      roleNames: scope.roleNames, linkedRoles: scope.linkedRoles, anchorsByDn,
    };
  }
  const linkedRoles = await directory.linkedRoles();
  const targetRoles = [
    ...mapping.groups.flatMap((rule) => ('role' in rule ? [rule.role] : [])),
    ...read.groups.map((group) => group.name),
    ...[...linkedRoles.values()].map((role) => role.name),
  ];
  return {
    users,
    softMatchCandidates: candidates,
    roleMembers: await directory.adRoleMembers([...new Set(targetRoles)]),
    roleNames: await directory.roleNames(),
    linkedRoles,
    anchorsByDn,
  };
}

/** The users a delta touched: changed, deleted, out of scope. */
function touchedAnchors(read: DirectoryRead): string[] {
  return [...new Set([
    ...read.users.map((user) => user.anchor),
    ...read.tombstones.filter((tombstone) => tombstone.kind === 'user').map((tombstone) => tombstone.anchor),
    ...read.outOfScope.map((gone) => gone.anchor),
  ])];
}

/**
 * DN (lower-case) → anchor of the active AD-sourced users holding the DNs a delta names and did not
 * read: its users' managers and the members of the groups it read whole.
 */
async function anchorsOfDns(directory: DirectoryView, read: DirectoryRead, managerDns: readonly string[]): Promise<Map<string, string>> {
  const readDns = new Set(read.users.map((user) => user.dn.toLowerCase()));
  const wanted = new Set<string>();
  for (const dn of managerDns) if (!readDns.has(dn.toLowerCase())) wanted.add(dn);
  for (const group of read.groups) {
    if (group.membersUnread === true) continue;
    for (const dn of group.memberDns) if (!readDns.has(dn.toLowerCase())) wanted.add(dn);
  }
  if (wanted.size > DN_LOOKUP_LIMIT) return directory.anchorsByDn();
  const found = await directory.activeAnchorsForDns([...wanted]);
  return new Map([...found].map(([dn, anchor]) => [dn.toLowerCase(), anchor]));
}
