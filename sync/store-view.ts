import type { DirectoryView, StoredDirectoryUser } from '../src/identity/directory-view';
import type { DirectoryRead, StoreView, SyncMapping } from './types';

/**
 * What the planner needs of the store. A full run loads every AD-sourced user; a delta run only
 * those the read names (and their managers), so its cost follows the changes, not the directory.
 */
export async function buildStoreView(
  directory: DirectoryView, read: DirectoryRead, mapping: SyncMapping, softMatch: boolean,
): Promise<StoreView> {
  const anchorsByDn = await directory.anchorsByDn();
  let users: StoredDirectoryUser[];
  if (read.mode === 'full') {
    users = await directory.adUsers();
  } else {
    const managerAttribute = mapping.attributes['enterprise.manager'];
    const managerAnchors = managerAttribute === undefined ? [] : read.users
      .flatMap((user) => user.attributes[managerAttribute] ?? [])
      .map((dn) => anchorsByDn.get(dn.toLowerCase()))
      .filter((anchor): anchor is string => anchor !== undefined);
    users = await directory.adUsers([...new Set([
      ...read.users.map((user) => user.anchor),
      ...read.tombstones.filter((tombstone) => tombstone.kind === 'user').map((tombstone) => tombstone.anchor),
      ...read.outOfScope.map((gone) => gone.anchor),
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
