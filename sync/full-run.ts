/**
 * A full run that streams: each LDAP page of users is mapped, planned against the store rows of
 * those users and applied (one batch transaction with its audit rows, through directory-writes.ts)
 * before the next page is read, so memory follows the page size, not the directory. What spans the
 * run is small: the users seen (seen-users.ts), the ids reserved for managers met before they were
 * read, and the deactivations and deletions held back under the delete guard.
 *
 * A user read before the manager it reports to is written naming its manager by an id the run
 * reserves for that manager's DN, and the manager is created with that id when its page comes: one
 * write per user, whatever order the directory pages in. Only a reservation that did not come to be
 * (the manager existed already under another DN, was outside the scope, or could not be created)
 * costs a second write, after the read.
 *
 * Steps: users (page by page) → reserved managers that did not come to be → leavers (the store's
 * AD users in anchor order, pages not seen in the read) → held-back deactivations and deletions,
 * unless over the guard's limit → groups and role memberships. The groups, and the member lists of
 * the first roles, are read from the start, beside the users (on a connection of their own).
 */
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../src/config';
import type { SyncRunEntryInput, SyncRuns } from '../src/governance/sync-runs';
import type { ChangeContext } from '../src/identity/change-context';
import { DirectoryView, type StoredDirectoryUser } from '../src/identity/directory-view';
import {
  applyDirectoryChanges, linkDirectoryManagers, type DirectoryUserWrite, type DirectoryWriteOutcome,
} from '../src/identity/directory-writes';
import { newUserId } from '../src/identity/user-ids';
import { checkDeleteCount, deleteLimit, type GuardResult } from './guard';
import type { StreamedFullRead } from './ldap/source';
import { dnKey, nestedClosure } from './nesting';
import { readAhead } from './read-ahead';
import { planRolesInSteps, planSync, REASON_LEFT_SCOPE, roleTargets, type PlannedUserEntry } from './planner';
import type { SyncProgressCounts } from './progress';
import {
  applyRoleChanges, isWriting, outcomeEntries, plannedRoleEntries, plannedUserEntries, skipEntry, toWrite, type WritingEntry,
} from './run-entries';
import { SeenUsers, type SeenState } from './seen-users';
import { stepsInTurns } from './steps';
import type { DirectoryGroup, DirectoryUser, RolePlanEntry, StoreView, SyncMapping } from './types';

/** Store users per page of the leaver walk, by default. */
const STORE_PAGE = 500;

/**
 * Member DNs the groups step reads during the users step, role after role, the role that crosses
 * it included: about 100 bytes each alive (10 MB at this figure) until their role is planned. The
 * member lists after them are read in the groups step, the next role's while one is written.
 */
const MEMBER_DNS_READ_EARLY = 100_000;

export interface FullRunInput {
  readonly dataSource: DataSource;
  readonly config: SyncConfig;
  readonly mapping: SyncMapping;
  readonly now: Date;
  readonly runs: SyncRuns;
  readonly runId: string;
  /** Batch sync, as the writes are made. */
  readonly context: ChangeContext;
  readonly dryRun: boolean;
  readonly allowDeletes: boolean;
  /** AD-sourced users in the store before the run (the guard's percentage is of these). */
  readonly storeSize: number;
  /** Store users per page of the leaver walk (default 500). */
  readonly storePageSize?: number;
  readonly read: StreamedFullRead;
  /** Called as the counts move (after each page and each step). */
  readonly onCounts: (counts: SyncProgressCounts) => void;
  /** Called once, before the first write. */
  readonly onFirstWrite: () => void;
}

export interface FullRunResult {
  /** Directory objects read: users and groups. */
  readonly read: number;
  readonly unchanged: number;
  readonly errors: number;
  /** The guard's verdict on the deactivations and deletions the run planned. */
  readonly guard: GuardResult;
}

export async function runFullStreamed(input: FullRunInput): Promise<FullRunResult> {
  const run = new StreamedRun(input);
  run.startRolesRead();
  await run.usersPageByPage();
  await run.linkManagersMetEarly();
  await run.leavers();
  const guard = await run.releaseHeldBack();
  const groups = await run.roles(guard);
  return { read: run.counts.read + groups, unchanged: run.unchanged, errors: run.errors, guard };
}

class StreamedRun {
  readonly counts: SyncProgressCounts;
  unchanged = 0;
  errors = 0;
  private readonly seen = new SeenUsers();
  private readonly directory: DirectoryView;
  /**
   * Managers named before the run read them, by DN key: the id reserved for each and the anchors of
   * the users written naming it. Let go once the manager is created with its id.
   */
  private readonly reservations = new Map<string, Reservation>();
  /** The same, DN key → reserved id: the planner's view of them. */
  private readonly reservedIds = new Map<string, string>();
  private readonly heldBack: WritingEntry[] = [];
  private destructive = 0;
  private readonly limit: number;
  private wrote = false;
  /** Started with the run (startRolesRead), taken by the groups step. */
  private rolesRead: Promise<RolesRead> | undefined;

  constructor(private readonly input: FullRunInput) {
    this.directory = new DirectoryView(input.dataSource);
    this.counts = { phase: 'users', read: 0, planned: 0, applied: 0, expected: input.storeSize };
    this.limit = deleteLimit(this.guardOptions());
  }

  /**
   * Starts reading what the groups step needs first, beside the users: the groups (without members),
   * the store's role names and links, and the member lists of the first roles, up to
   * MEMBER_DNS_READ_EARLY DNs. The DC reads a connection's requests one after another, so in the
   * groups step the member lists were read one role after another while the database wrote the role
   * before: the step waited for the DC whenever a large group (of everyone) came after a small role.
   * Read during the users step, on a connection of their own, they overlap it instead.
   */
  startRolesRead(): Promise<RolesRead> {
    const read = (async (): Promise<RolesRead> => {
      const groups = await this.input.read.readGroups();
      const store = { roleNames: await this.directory.roleNames(), linkedRoles: await this.directory.linkedRoles() };
      const groupsByDn = new Map(groups.map((group) => [dnKey(group.dn), group]));
      const targets = [...roleTargets(groups, store, this.input.mapping)].map(([key, target]) => ({ key, closure: closureOf(target, groupsByDn) }));
      const early: DirectoryGroup[][] = [];
      let held = 0;
      for (const target of targets) {
        if (held >= MEMBER_DNS_READ_EARLY) break;
        const members = await this.input.read.readGroupMembers(groups, target.closure);
        early.push(members);
        for (const group of members) if (target.closure.has(group.anchor)) held += group.memberDns.length;
      }
      return { groups, store, targets, early };
    })();
    // A failure is the groups step's, met there (or never, if the run fails before it).
    read.catch(() => undefined);
    this.rolesRead = read;
    return read;
  }

  /** Step 1: read, plan and apply a page of users at a time. */
  async usersPageByPage(): Promise<void> {
    for await (const page of readAhead(this.input.read.userPages)) {
      // A user under two nested base DNs comes twice: the first read stands.
      const fresh = page.filter((user) => !this.seen.has(user.anchor));
      this.counts.read += fresh.length;
      if (fresh.length === 0) continue;
      const planned = await this.planPage(fresh);
      this.counts.planned += planned.length;
      await this.applyUsers(planned);
      this.report();
    }
  }

  /**
   * Step 2: users written naming a reserved manager id that did not come to be get their manager's
   * real id (it was in the store already, under another DN or outside the scope read), or none.
   */
  async linkManagersMetEarly(): Promise<void> {
    this.counts.phase = 'managers';
    this.report();
    if (this.reservations.size === 0 || this.input.dryRun) return;
    const open = [...this.reservations.values()];
    this.reservations.clear();
    this.reservedIds.clear();
    const unread = open.filter((reservation) => this.seen.anchorOfDn(reservation.dn) === undefined).map((reservation) => reservation.dn);
    // A manager outside the scope the run read: the store may hold it, active, under that DN.
    const stored = unread.length === 0 ? new Map<string, string>() : await this.directory.activeAnchorsForDns(unread);
    const links = open.flatMap((reservation) => {
      const managerAnchor = this.seen.anchorOfDn(reservation.dn) ?? stored.get(reservation.dn) ?? null;
      return reservation.anchors.map((anchor) => ({ anchor, managerAnchor, reserved: reservation.id }));
    });
    this.markWriting();
    await linkDirectoryManagers(this.input.dataSource, this.input.context, links);
  }

  /** Step 3: the store's AD users the read did not see left the scope; walked in anchor order, a page at a time. */
  async leavers(): Promise<void> {
    this.counts.phase = 'leavers';
    this.report();
    const policy = this.input.config.deletePolicy;
    let after: string | null = null;
    for (;;) {
      const page = await this.directory.adUserAnchorsPage(after, this.input.storePageSize ?? STORE_PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]?.anchor ?? null;
      const unseen = page.filter((user) => !this.seen.has(user.anchor));
      // Only those the run did not read are read whole; one deleted meanwhile is gone from this read too.
      const keys = unseen.length === 0 ? [] : (await this.directory.adKeysByIds(unseen.map((user) => user.id)))
        .sort((a, b) => (a.anchor < b.anchor ? -1 : a.anchor > b.anchor ? 1 : 0)); // in the walk's order, as the report has it
      const leaving: PlannedUserEntry[] = [];
      for (const key of keys) {
        const base = { anchor: key.anchor, dn: key.dn, userId: key.id, reason: REASON_LEFT_SCOPE };
        if (policy === 'delete') leaving.push({ ...base, action: 'delete', changes: [] });
        else if (key.active) leaving.push({ ...base, action: 'deactivate', changes: [{ attribute: 'active', from: true, to: false }] });
        else this.unchanged += 1; // left before, already inactive: nothing to do, nothing to count twice
      }
      this.counts.planned += leaving.length;
      await this.applyUsers(leaving);
    }
  }

  /** Step 4: the deactivations and deletions held back under the guard, applied unless there are more than it allows. */
  async releaseHeldBack(): Promise<GuardResult> {
    const guard = checkDeleteCount(this.destructive, this.guardOptions());
    if (guard.blocked || this.heldBack.length === 0) return guard;
    const held = this.heldBack.splice(0);
    await this.input.runs.addEntries(this.input.runId, await this.write(held));
    this.report();
    return guard;
  }

  /**
   * Step 5: the mapping's groups and the roles' AD-sourced membership, one role at a time: the
   * groups are read without members, then each role's groups (and the groups nested in them) have
   * their members read, the role is planned against its current AD members and applied, and its
   * lists are let go before the next role. So the two largest roles (a group of everyone and the
   * next) bound the memory of this step, not the sum of all of them: the next role's members are
   * read and planned while the role before it is written, the DC and the reads working while the
   * database writes (the step waited on one, then the other).
   */
  async roles(guard: GuardResult): Promise<number> {
    this.counts.phase = 'groups';
    this.report();
    const read = await (this.rolesRead ?? this.startRolesRead());
    this.rolesRead = undefined;
    const { groups } = read;
    for await (const plan of readAhead(this.rolePlans(read))) {
      if (this.input.dryRun || guard.blocked) {
        await this.input.runs.addEntries(this.input.runId, plannedRoleEntries(plan));
      } else {
        this.markWriting();
        this.errors += await applyRoleChanges(this.input.dataSource, this.input.context, plan, this.input.runs, this.input.runId);
      }
    }
    this.counts.phase = 'done';
    this.report();
    return groups.length;
  }

  /** Step 5's roles, planned one at a time, in the order roleTargets gives them; the first ones' members read early. */
  private async *rolePlans(read: RolesRead): AsyncGenerator<RolePlanEntry[]> {
    for (const [index, { key, closure }] of read.targets.entries()) {
      const members = read.early[index] ?? await this.input.read.readGroupMembers(read.groups, closure);
      read.early[index] = undefined; // garbage once planned, not held through the step
      // Planned in its own call so that the member lists are garbage by the time the plan is written.
      yield await this.planRole(key, members, read.store);
    }
  }

  /** One role of step 5, planned alone: `read`, the groups with the members of its own read; its current AD members loaded. */
  private async planRole(key: string, read: readonly DirectoryGroup[], store: Pick<StoreView, 'roleNames' | 'linkedRoles'>): Promise<RolePlanEntry[]> {
    // A step a turn: the role before this one is being written meanwhile (and, in `scimd serve`, SCIM is being served).
    const plan = await stepsInTurns(planRolesInSteps(
      read, { ...store, roleMembers: await this.directory.adRoleMembersByKey([key]) }, this.input.mapping,
      (dn) => this.seen.anchorOfDn(dn), (anchor) => this.seen.isActiveAfter(anchor), this.seen.skipped, new Map(), new Set([key]),
    ));
    // Written in slices (run-entries.ts): in the users table's order, each slice's rows are near each other.
    return plan.map((role) => ({ ...role, addAnchors: this.seen.inTableOrder(role.addAnchors) }));
  }

  /** The page's store rows and manager references, then the planner over the page as over a delta read. */
  private async planPage(fresh: readonly DirectoryUser[]): Promise<PlannedUserEntry[]> {
    const stored = await this.directory.adUsers(fresh.map((user) => user.anchor));
    const managers = await this.resolveManagers(fresh, stored);
    const known = new Set(stored.map((user) => user.anchor?.toLowerCase()));
    const managerRows = await this.directory.adUsers([...new Set(managers.values())].filter((anchor) => !known.has(anchor.toLowerCase())));
    const userNameAttribute = this.input.mapping.attributes.userName ?? 'userprincipalname';
    const candidates = this.input.config.softMatchByUserName
      ? await this.directory.unanchoredUsersByUserName(fresh
        .filter((user) => !known.has(user.anchor.toLowerCase()))
        .flatMap((user) => user.attributes[userNameAttribute]?.slice(0, 1) ?? []))
      : [];
    const plan = planSync(
      { mode: 'delta', users: fresh, groups: [], tombstones: [], outOfScope: [], watermark: this.input.read.watermark },
      {
        users: [...stored, ...managerRows], softMatchCandidates: candidates,
        roleMembers: new Map(), roleNames: new Set(), linkedRoles: new Map(), anchorsByDn: managers,
        reservedManagerIds: this.reservedIds,
      },
      this.input.mapping,
      { softMatchByUserName: this.input.config.softMatchByUserName, deletePolicy: this.input.config.deletePolicy },
      this.input.now,
    );
    this.remember(fresh, stored, plan.users);
    return [...plan.users];
  }

  /**
   * Manager DN → anchor for the page's users: users of this page or read earlier, else the manager
   * the store names now when its DN is the one AD names (a manager later in the read). A reference
   * still unresolved gets an id reserved for its DN (on a dry run, which writes nothing, no manager).
   */
  private async resolveManagers(fresh: readonly DirectoryUser[], stored: readonly StoredDirectoryUser[]): Promise<Map<string, string>> {
    const attribute = this.input.mapping.attributes['enterprise.manager'];
    const resolved = new Map<string, string>();
    if (attribute === undefined) return resolved;
    const inPage = new Map(fresh.map((user) => [dnKey(user.dn), user.anchor]));
    const unresolved: { anchor: string; managerDn: string }[] = [];
    for (const user of fresh) {
      const managerDn = user.attributes[attribute]?.[0];
      if (managerDn === undefined || managerDn === '') continue;
      const anchor = inPage.get(dnKey(managerDn)) ?? this.seen.anchorOfDn(managerDn);
      if (anchor === undefined) unresolved.push({ anchor: user.anchor, managerDn });
      else resolved.set(managerDn, anchor);
    }
    if (unresolved.length === 0) return resolved;
    const currentManagerIds = stored.flatMap((user) => {
      const value = user.profile.enterprise?.manager?.value;
      return typeof value === 'string' ? [value] : [];
    });
    const current = new Map((await this.directory.adKeysByIds(currentManagerIds))
      .flatMap((key) => (key.dn === null ? [] : [[dnKey(key.dn), key.anchor] as const])));
    for (const link of unresolved) {
      const anchor = current.get(dnKey(link.managerDn));
      if (anchor !== undefined) resolved.set(link.managerDn, anchor);
      else if (!this.input.dryRun) this.reserve(link.managerDn, link.anchor);
    }
    return resolved;
  }

  /** The manager at `managerDn`, not read yet, gets an id now; `anchor` is a user naming it. */
  private reserve(managerDn: string, anchor: string): void {
    const key = dnKey(managerDn);
    const reservation = this.reservations.get(key);
    if (reservation !== undefined) {
      reservation.anchors.push(anchor);
      return;
    }
    const id = newUserId();
    this.reservations.set(key, { id, dn: managerDn, anchors: [anchor] });
    this.reservedIds.set(key, id);
  }

  /** A create takes the id reserved for its DN, if users read before it named it as their manager. */
  private reservedFor(write: DirectoryUserWrite): DirectoryUserWrite {
    if (write.action !== 'create' || write.dn === null) return write;
    const reservation = this.reservations.get(dnKey(write.dn));
    return reservation === undefined ? write : { ...write, id: reservation.id };
  }

  /** Lets go of each reservation whose manager was created with its id: its users name it already. */
  private fulfil(outcomes: readonly DirectoryWriteOutcome[], writes: readonly DirectoryUserWrite[]): void {
    const reserved = new Map(writes.flatMap((write) => (write.id === undefined ? [] : [[write.anchor.toLowerCase(), write] as const])));
    for (const outcome of outcomes) {
      const write = reserved.get(outcome.anchor.toLowerCase());
      if (write?.dn == null || outcome.error !== undefined || outcome.userId !== write.id) continue;
      this.reservations.delete(dnKey(write.dn));
      this.reservedIds.delete(dnKey(write.dn));
    }
  }

  /** Records each user of the page: its DN, and whether it is active once the run is applied. */
  private remember(fresh: readonly DirectoryUser[], stored: readonly StoredDirectoryUser[], entries: readonly PlannedUserEntry[]): void {
    const storedActive = new Map(stored.map((user) => [user.anchor?.toLowerCase(), user.active]));
    const byAnchor = new Map(entries.map((entry) => [entry.anchor.toLowerCase(), entry]));
    for (const user of fresh) {
      const entry = byAnchor.get(user.anchor.toLowerCase());
      this.seen.record(user.anchor, user.dn, entry === undefined ? 'skipped' : stateAfter(entry, storedActive.get(user.anchor.toLowerCase())));
    }
    for (const user of stored) if (user.anchor !== null) this.seen.recordId(user.anchor, user.id);
  }

  /**
   * Writes a page's changes (or records them, on a dry run). Deactivations and deletions wait
   * until the run knows their number, unless deletes are allowed: past the guard's limit they are
   * not applied, and recorded as planned.
   */
  private async applyUsers(entries: readonly PlannedUserEntry[]): Promise<void> {
    const report: SyncRunEntryInput[] = [];
    const writes: WritingEntry[] = [];
    const planned: PlannedUserEntry[] = [];
    for (const entry of entries) {
      if (entry.action === 'unchanged') this.unchanged += 1;
      else if (entry.action === 'skip') report.push(skipEntry(entry));
      else if (!isWriting(entry)) continue;
      else if (this.input.dryRun) planned.push(entry);
      else if (entry.action !== 'deactivate' && entry.action !== 'delete') writes.push(entry);
      else this.holdBack(entry, writes, planned);
    }
    report.push(...plannedUserEntries(planned), ...await this.write(writes));
    // One report transaction per page, and none for a page with nothing to report (an unchanged re-run).
    if (report.length > 0) await this.input.runs.addEntries(this.input.runId, report);
  }

  private holdBack(entry: WritingEntry, writes: WritingEntry[], planned: PlannedUserEntry[]): void {
    this.destructive += 1;
    if (this.input.allowDeletes) {
      writes.push(entry);
    } else if (this.destructive <= this.limit) {
      this.heldBack.push(entry);
    } else {
      // Over the limit: the run is blocked; what was held back is reported as planned, not applied.
      planned.push(...this.heldBack.splice(0), entry);
    }
  }

  /** Writes the changes and returns the report's entries of what they did (for the caller to record). */
  private async write(entries: readonly WritingEntry[]): Promise<SyncRunEntryInput[]> {
    if (entries.length === 0) return [];
    this.markWriting();
    const writes = entries.map((entry) => this.reservedFor(toWrite(entry)));
    const outcomes = await applyDirectoryChanges(this.input.dataSource, this.input.context, writes);
    this.fulfil(outcomes, writes);
    for (const outcome of outcomes) if (outcome.userId !== null) this.seen.recordId(outcome.anchor, outcome.userId);
    this.errors += outcomes.filter((outcome) => outcome.error !== undefined).length;
    this.counts.applied += outcomes.length;
    return outcomeEntries(entries, outcomes);
  }

  private markWriting(): void {
    if (this.wrote) return;
    this.wrote = true;
    this.input.onFirstWrite();
  }

  private report(): void {
    this.input.onCounts({ ...this.counts });
  }

  private guardOptions() {
    return {
      threshold: this.input.config.deleteThreshold, thresholdPercent: this.input.config.deleteThresholdPercent,
      storeSize: this.input.storeSize, allowDeletes: this.input.allowDeletes,
    };
  }
}

/** An id reserved for a manager not read yet, and the users (by anchor) written naming it. */
interface Reservation {
  readonly id: string;
  /** The DN as the first user naming it gave it. */
  readonly dn: string;
  readonly anchors: string[];
}

/** Whether the user is active once the run is applied, from its plan entry. */
function stateAfter(entry: PlannedUserEntry, storedActive: boolean | undefined): SeenState {
  switch (entry.action) {
    case 'skip': return 'skipped';
    case 'deactivate': case 'delete': return 'inactive';
    case 'unchanged': return storedActive === false ? 'inactive' : 'active';
    default: return entry.profile?.['active'] === false ? 'inactive' : 'active';
  }
}

/** The anchors of a role's groups and of the groups nested in them: the groups whose members make the role. */
function closureOf(target: { readonly groups: readonly DirectoryGroup[] }, groupsByDn: ReadonlyMap<string, DirectoryGroup>): Set<string> {
  return new Set(target.groups.flatMap((group) => [...nestedClosure(group, groupsByDn).values()].map((nested) => nested.anchor)));
}

/** What the groups step starts from: the groups, the store's roles, the roles to plan in order, the member lists read early. */
interface RolesRead {
  readonly groups: readonly DirectoryGroup[];
  readonly store: Pick<StoreView, 'roleNames' | 'linkedRoles'>;
  /** Each role's key and the anchors of the groups whose members make it. */
  readonly targets: readonly { readonly key: string; readonly closure: ReadonlySet<string> }[];
  /** By role (as in `targets`): `groups` with that role's member lists read early; let go once taken. */
  readonly early: (DirectoryGroup[] | undefined)[];
}
