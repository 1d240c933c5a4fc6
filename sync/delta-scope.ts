/**
 * What a delta run re-plans whole. A group's membership changes only with the group: adding or
 * removing a member, or renaming the group, moves the group's uSNChanged. So a role is planned whole
 * only when one of its groups, or a group nested in one of them, changed since the watermark (or the
 * store cannot be trusted to hold its membership, below); its groups' members are then read. Every
 * other role is planned for the users the delta touched, from their memberOf, and no member list of
 * its groups is read.
 *
 * Planned whole as well, though no group of theirs changed:
 * - every role, when a group was deleted: AD drops a deleted group from the groups it was nested in
 *   without changing them, and its tombstone no longer says where it was;
 * - a role whose group the read did not find (it grants nothing now), a role to create or to rename;
 * - a role with no AD-sourced member in the store: a rule new in the mapping file, or a group no run
 *   has granted from yet. (A rule added for a role other groups already grant is seen by the next
 *   full run.)
 */
import type { DirectoryView, LinkedRole } from '../src/identity/directory-view';
import { dnKey, nestedClosure } from './nesting';
import { roleTargets } from './planner';
import type { DirectoryGroup, DirectoryRead, SyncMapping } from './types';

export interface DeltaScope {
  /** Anchors of the groups whose members the run reads: the groups of the roles planned whole, nested ones included. */
  readonly groupsToRead: ReadonlySet<string>;
  /** Keys of the roles planned whole. */
  readonly wholeRoles: ReadonlySet<string>;
  /** Keys of the roles planned for the touched users only. */
  readonly touchedOnlyRoles: ReadonlySet<string>;
  readonly roleNames: ReadonlySet<string>;
  readonly linkedRoles: ReadonlyMap<string, LinkedRole>;
}

/** `read` is a delta read whose groups came without members; `sinceUsn` the watermark it started from. */
export async function deltaScope(directory: DirectoryView, read: DirectoryRead, mapping: SyncMapping, sinceUsn: number): Promise<DeltaScope> {
  const store = { linkedRoles: await directory.linkedRoles(), roleNames: await directory.roleNames() };
  const withMembers = await directory.rolesWithAdMembers([...roleTargets(read.groups, store, mapping).keys()]);
  return chooseDeltaScope(read, mapping, { ...store, rolesWithAdMembers: withMembers }, sinceUsn);
}

/** deltaScope's choice, from what it read of the store. */
export function chooseDeltaScope(
  read: DirectoryRead,
  mapping: SyncMapping,
  store: Pick<DeltaScope, 'roleNames' | 'linkedRoles'> & { readonly rolesWithAdMembers: ReadonlySet<string> },
  sinceUsn: number,
): DeltaScope {
  const groupsByDn = new Map<string, DirectoryGroup>();
  for (const group of read.groups) if (!groupsByDn.has(dnKey(group.dn))) groupsByDn.set(dnKey(group.dn), group);
  const groupDeleted = read.tombstones.some((tombstone) => tombstone.kind === 'group');

  const groupsToRead = new Set<string>();
  const wholeRoles = new Set<string>();
  const touchedOnlyRoles = new Set<string>();
  for (const [key, target] of roleTargets(read.groups, store, mapping)) {
    const closures = target.groups.map((group) => [...nestedClosure(group, groupsByDn).values()]);
    const changed = closures.some((closure) => closure.some((group) => group.usnChanged > sinceUsn));
    if (changed || groupDeleted || target.groupMissing || target.create || target.renamedFrom !== undefined || !store.rolesWithAdMembers.has(key)) {
      wholeRoles.add(key);
      for (const closure of closures) for (const group of closure) groupsToRead.add(group.anchor);
    } else {
      touchedOnlyRoles.add(key);
    }
  }
  return { groupsToRead, wholeRoles, touchedOnlyRoles, roleNames: store.roleNames, linkedRoles: store.linkedRoles };
}
