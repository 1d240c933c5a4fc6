/**
 * The run report's entries (one per change, the counters are counted from them) and the role step
 * of applying, shared by the whole-read delta run and the streamed full run (run.ts, full-run.ts).
 */
import type { DataSource } from 'typeorm';
import { isDatabaseOutage } from '../src/db/connection-errors';
import type { SyncRunEntryInput, SyncRuns } from '../src/governance/sync-runs';
import type { ChangeContext } from '../src/identity/change-context';
import type { DirectoryUserWrite, DirectoryWriteOutcome } from '../src/identity/directory-writes';
import { RoleDirectory, type MembershipWritten } from '../src/identity/roles';
import type { PlannedUserEntry } from './planner';
import type { RolePlanEntry } from './types';

/** Role member entries per report transaction. */
const ENTRIES_PER_CALL = 5000;

/**
 * Members added or removed per write of a role: a role of everyone (100,000 members on a first
 * full sync) is written in slices, each one transaction with its audit rows, so that its rows,
 * ids and audit lists are never all built at once. A run that stops between slices leaves the
 * slices written so far, as it leaves the pages of users written so far; the next run adds the rest.
 */
export const MEMBERS_PER_WRITE = 5000;

/** A user entry that writes something (not unchanged, not skipped). */
export type WritingEntry = PlannedUserEntry & { readonly action: DirectoryUserWrite['action'] };

export function isWriting(entry: PlannedUserEntry): entry is WritingEntry {
  return entry.action !== 'unchanged' && entry.action !== 'skip';
}

/** The writer's input for one planned change. */
export function toWrite(entry: WritingEntry): DirectoryUserWrite {
  return {
    action: entry.action, anchor: entry.anchor, dn: entry.dn, userId: entry.userId,
    ...(entry.profile ? { profile: entry.profile } : {}),
    ...(entry.managerAnchor ? { managerAnchor: entry.managerAnchor } : {}),
  };
}

export function skipEntry(entry: PlannedUserEntry): SyncRunEntryInput {
  return { objectType: 'user', action: 'skip', anchor: entry.anchor, dn: entry.dn, message: entry.reason ?? null };
}

/** Entries of changes planned and not applied (dry run, blocked run). */
export function plannedUserEntries(entries: readonly PlannedUserEntry[]): SyncRunEntryInput[] {
  return entries.filter((entry) => entry.action !== 'unchanged').map((entry): SyncRunEntryInput => ({
    objectType: 'user', action: entry.action as SyncRunEntryInput['action'], anchor: entry.anchor, dn: entry.dn,
    changes: entry.changes, message: entry.reason ?? null,
  }));
}

/** The report's user entries: what each write did, with the planned attribute changes. */
export function outcomeEntries(entries: readonly PlannedUserEntry[], outcomes: readonly DirectoryWriteOutcome[]): SyncRunEntryInput[] {
  const byAnchor = new Map(entries.map((entry) => [entry.anchor, entry]));
  return outcomes.filter((outcome) => outcome.error !== undefined || outcome.changed).map((outcome): SyncRunEntryInput => {
    const entry = byAnchor.get(outcome.anchor);
    return {
      objectType: 'user', action: outcome.error ? 'error' : (entry?.action as SyncRunEntryInput['action']), anchor: outcome.anchor,
      dn: entry?.dn ?? null, changes: entry?.changes ?? [], message: outcome.error ?? entry?.reason ?? null,
    };
  });
}

/** Entries of planned role changes, by member anchor. */
export function plannedRoleEntries(roles: readonly RolePlanEntry[]): SyncRunEntryInput[] {
  return roles.flatMap((role) => memberEntries(role, { added: [...role.addAnchors], removed: [...role.removeAnchors], adopted: [], held: [] }, (anchor) => anchor));
}

/** Applies the roles' membership changes through RoleDirectory and records them; returns the number of roles that failed. */
export async function applyRoleChanges(
  dataSource: DataSource, context: ChangeContext, roles: readonly RolePlanEntry[], runs: SyncRuns, runId: string,
): Promise<number> {
  const directory = new RoleDirectory(dataSource);
  let errors = 0;
  for (const role of roles) {
    if (role.addAnchors.length === 0 && role.removeAnchors.length === 0 && !role.create && role.renamedFrom === undefined) continue;
    for (const slice of roleSlices(role, MEMBERS_PER_WRITE)) {
      try {
        const written = await directory.applyDirectoryGroup(context, {
          name: slice.roleName, create: slice.create, addAnchors: slice.addAnchors, removeAnchors: slice.removeAnchors,
          ...(slice.madeFromGroup ? { anchor: slice.groupAnchor } : {}),
        });
        const entries = memberEntries(slice, written, (id) => written.anchorOf.get(id) ?? id);
        for (let i = 0; i < entries.length; i += ENTRIES_PER_CALL) await runs.addEntries(runId, entries.slice(i, i + ENTRIES_PER_CALL));
      } catch (error) {
        if (isDatabaseOutage(error)) throw error; // the run ends failed, as for users (directory-writes.ts)
        errors += 1;
        await runs.addEntries(runId, [{
          objectType: 'role', action: 'error', anchor: role.groupAnchor || role.roleName, dn: role.groupDn,
          message: `role "${role.roleName}": ${error instanceof Error ? error.message : String(error)}`,
        }]);
        break; // the role's later slices would meet the same refusal: one error per role
      }
    }
  }
  return errors;
}

/**
 * A role's plan cut into plans of at most `size` member changes (adds first, then removes): the
 * first slice creates or renames the role, the others only change members. A plan within the size
 * comes back whole.
 */
export function roleSlices(role: RolePlanEntry, size: number): RolePlanEntry[] {
  const total = role.addAnchors.length + role.removeAnchors.length;
  if (total <= size) return [role];
  const { renamedFrom: _renamed, ...rest } = role;
  const slices: RolePlanEntry[] = [];
  for (let start = 0; start < total; start += size) {
    const end = start + size;
    slices.push({
      ...(start === 0 ? role : { ...rest, create: false }),
      addAnchors: role.addAnchors.slice(start, end),
      removeAnchors: role.removeAnchors.slice(Math.max(0, start - role.addAnchors.length), Math.max(0, end - role.addAnchors.length)),
    });
  }
  return slices;
}

/** Member entries of one role, by member anchor. Entries of one kind share their changes (one list, serialised once). */
function memberEntries(role: RolePlanEntry, written: MembershipWritten, anchorOf: (member: string) => string): SyncRunEntryInput[] {
  const granted = [{ attribute: 'roles', to: role.roleName }];
  const revoked = [{ attribute: 'roles', from: role.roleName }];
  return [
    ...written.added.map((member): SyncRunEntryInput => ({
      objectType: 'role', action: 'member-add', anchor: anchorOf(member), changes: granted,
    })),
    ...written.adopted.map((member): SyncRunEntryInput => ({
      objectType: 'role', action: 'member-add', anchor: anchorOf(member), changes: granted,
      message: 'already held through another door; now granted by Active Directory, which manages it from here on',
    })),
    ...written.removed.map((member): SyncRunEntryInput => ({
      objectType: 'role', action: 'member-remove', anchor: anchorOf(member), changes: revoked,
    })),
    ...written.held.map((grant): SyncRunEntryInput => ({
      objectType: 'role', action: 'skip', anchor: anchorOf(grant.userId), changes: granted,
      message: `not granted yet: ${grant.reason}, so a person approves it first (change request ${grant.changeRequestId})`,
    })),
  ];
}
