import type { DataSource, EntityManager } from 'typeorm';
import { asDatabaseOutage } from '../db/connection-errors';
import { transaction } from '../db/transaction';
import { deferStatement } from '../db/statement-batch';
import { conflictError, forbiddenError, invalidError } from '../errors';
import { diffAttributes, recordAudits, type AuditRecord } from '../governance/audit';
import { assertPermitted, type ChangeContext } from './change-context';
import { assertManagesUsers } from './grant-rules';
import { isUniqueViolation } from './constraint-violation';
import { newUserId } from './user-ids';
import type { UserProfile } from './user-profile';
import { auditView, columnsOf } from './user-rows';
import { deleteUser, insertUsers, laterThan, lockUserProfiles, lockUsers, updateUser, type NewUser } from './user-writes';

/**
 * The batch mode of the user write path, for the directory sync: many changes per transaction, but
 * each one through the same functions (user-writes.ts) that SCIM's single writes use, so the row
 * lock, the version bump, the source of authority and the audit record by id are the same.
 */

/** One planned change of an Active Directory user. */
export interface DirectoryUserWrite {
  readonly action: 'create' | 'update' | 'deactivate' | 'reactivate' | 'delete';
  /** objectGUID. */
  readonly anchor: string;
  readonly dn: string | null;
  /** The store's user, for every action but create. */
  readonly userId: string | null;
  /**
   * A create only: the id to give the new user, when the run reserved one for it (users read before
   * it name it as their manager by this id). Absent: a new random id.
   */
  readonly id?: string;
  readonly profile?: UserProfile;
  /**
   * The manager by anchor, when the plan could not name the manager's user id (the manager is new in
   * this run, or was not in the planner's view). Resolved here, when written, to the manager's id;
   * dropped when no user holds that anchor.
   */
  readonly managerAnchor?: string;
}

export interface DirectoryWriteOutcome {
  readonly anchor: string;
  readonly userId: string | null;
  /** False when the store already held what the write asked for: nothing was written. */
  readonly changed: boolean;
  readonly error?: string;
}

/** Changes per transaction: a 1,000-user page is two transactions, each with one audit-chain append. */
const BATCH = 500;
/** Manager links per transaction: one UPDATE whose CASE lists each of them (MariaDB scans it per row). */
const LINK_BATCH = 200;
/** Anchors per IN (…) list. */
const CHUNK = 500;

const anchorKey = (anchor: string): string => anchor.toLowerCase();

export async function applyDirectoryChanges(
  dataSource: DataSource, context: ChangeContext, writes: readonly DirectoryUserWrite[],
): Promise<DirectoryWriteOutcome[]> {
  if (context.door !== 'sync') throw forbiddenError('Only the directory sync applies directory changes');
  assertPermitted(context, 'users:write');
  const ordered = managersFirst(writes);
  const creating = new Set(writes.filter((write) => write.action === 'create').map((write) => anchorKey(write.anchor)));
  // Managers that exist already; managers created by this run join the map as their batch commits.
  const known = await userIdsByAnchor(dataSource.manager, writes.flatMap((write) =>
    write.managerAnchor !== undefined && !creating.has(anchorKey(write.managerAnchor)) ? [write.managerAnchor] : []));
  const batches = new DirectoryBatches(context, known, creating);
  const outcomes: DirectoryWriteOutcome[] = [];
  for (let i = 0; i < ordered.length; i += BATCH) {
    const batch = ordered.slice(i, i + BATCH);
    try {
      outcomes.push(...await batches.commit(dataSource, batch));
    } catch (error) {
      // A lost database is no bad object: retrying each change would fail each in turn (or, with the
      // database back, report a run that skipped a batch as a success). The run stops here; the
      // batch's transaction wrote nothing, earlier batches stay, and the next run re-reads.
      throwIfOutage(error);
      // One bad object fails alone: the batch is retried one change at a time.
      for (const write of batch) {
        try {
          outcomes.push(...await batches.commit(dataSource, [write]));
        } catch (error) {
          throwIfOutage(error);
          outcomes.push({ anchor: write.anchor, userId: write.userId, changed: false, error: describe(error) });
        }
      }
    }
  }
  await batches.linkLateManagers(dataSource, outcomes);
  return outcomes;
}

/** Writes batches, keeping track of the users each committed batch created (for manager links). */
class DirectoryBatches {
  /** Writes whose manager was created later in the run than they were (a cycle of new managers). */
  private readonly late: DirectoryUserWrite[] = [];

  constructor(
    private readonly context: ChangeContext,
    private readonly known: Map<string, string>,
    private readonly creating: ReadonlySet<string>,
  ) {}

  async commit(dataSource: DataSource, batch: readonly DirectoryUserWrite[]): Promise<DirectoryWriteOutcome[]> {
    const late: DirectoryUserWrite[] = [];
    const outcomes = await transaction(dataSource, (manager) => {
      late.length = 0; // a transaction rerun after a conflict (src/db/conflict-retry.ts) starts from nothing
      return this.write(manager, batch, late);
    });
    for (const outcome of outcomes) if (outcome.userId !== null) this.known.set(anchorKey(outcome.anchor), outcome.userId);
    this.late.push(...late);
    return outcomes;
  }

  /** Gives users whose manager was created after them their manager, through the same update. */
  async linkLateManagers(dataSource: DataSource, outcomes: readonly DirectoryWriteOutcome[]): Promise<void> {
    const failed = new Set(outcomes.filter((outcome) => outcome.error !== undefined).map((outcome) => anchorKey(outcome.anchor)));
    const links = this.late.flatMap((write): ManagerLink[] => {
      const userId = this.known.get(anchorKey(write.anchor));
      const managerId = this.known.get(anchorKey(write.managerAnchor ?? ''));
      return failed.has(anchorKey(write.anchor)) || userId === undefined || managerId === undefined ? [] : [{ userId, managerId }];
    });
    await writeManagerLinks(dataSource, this.context, links);
  }

  private async write(
    manager: EntityManager, batch: readonly DirectoryUserWrite[], late: DirectoryUserWrite[],
  ): Promise<DirectoryWriteOutcome[]> {
    const newIds = new Map(batch.filter((write) => write.action === 'create')
      .map((write) => [anchorKey(write.anchor), write.id ?? newUserId()]));
    const managerOf = (write: DirectoryUserWrite, profile: UserProfile): UserProfile => {
      if (write.managerAnchor === undefined) return profile;
      const key = anchorKey(write.managerAnchor);
      const id = this.known.get(key) ?? newIds.get(key);
      if (id === undefined && this.creating.has(key)) late.push(write);
      return withManager(profile, id);
    };
    const rows = await lockUsers(manager, batch.flatMap((write) => (write.action === 'create' || write.userId === null ? [] : [write.userId])));
    const outcomes: DirectoryWriteOutcome[] = [];
    const audits: AuditRecord[] = [];
    const creates: NewUser[] = [];
    // Changes of existing users first: a rename frees the name a new user of this batch may take.
    for (const write of batch) {
      if (write.action === 'create') {
        const id = newIds.get(anchorKey(write.anchor)) as string;
        creates.push({ id, profile: managerOf(write, required(write)), passwordHash: null, directory: { anchor: write.anchor, dn: write.dn } });
        outcomes.push({ anchor: write.anchor, userId: id, changed: true });
        continue;
      }
      const row = rows.get(write.userId ?? '');
      if (!row) throw invalidError(`User ${write.userId ?? write.anchor} is no longer in the store`);
      // A plan names the user it matched when it read the store; a write committed since may have
      // linked that user to another directory object (two AD users taking over one store user by
      // userName). The first link stands: a user never moves from one directory object to another.
      if (row.sourceAnchor !== null && anchorKey(row.sourceAnchor) !== anchorKey(write.anchor)) {
        throw conflictError(`User ${row.userName} is linked to another directory object (${row.sourceAnchor})`);
      }
      if (write.action === 'delete') {
        audits.push(await deleteUser(manager, this.context, row));
        outcomes.push({ anchor: write.anchor, userId: row.id, changed: true });
        continue;
      }
      // A user who left the scope is deactivated as stored: the plan has no profile for it.
      const profile = write.action === 'deactivate' && write.profile === undefined
        ? { ...JSON.parse(row.profile) as UserProfile, active: false }
        : managerOf(write, required(write));
      const { audit } = await updateUser(manager, this.context, row, {
        profile, directory: { anchor: write.anchor, dn: write.dn }, action: write.action,
      });
      if (audit) audits.push(audit);
      outcomes.push({ anchor: write.anchor, userId: row.id, changed: audit !== undefined });
    }
    const inserted = await insertUsers(manager, this.context, creates);
    await recordAudits(manager, this.context, [...audits, ...inserted.audits]);
    return outcomes;
  }
}

/** A user (by id) and the manager it gets (by id; none when undefined). */
interface ManagerLink {
  readonly userId: string;
  readonly managerId: string | undefined;
  /** Made only while the user's manager is still this id (one the run reserved that did not come to be). */
  readonly replacing?: string;
}

/**
 * Sets each user's manager: the same change updateUser makes (profile, manager_id, version bump,
 * updated_at, an audit record by id), written for the whole batch with one UPDATE, because a
 * manager link touches no indexed value (user-rows.ts indexedValueRows). A batch per transaction
 * with its audit rows. Only the sync's own users are linked; a link that changes nothing is skipped.
 */
async function writeManagerLinks(dataSource: DataSource, context: ChangeContext, links: readonly ManagerLink[]): Promise<void> {
  for (let i = 0; i < links.length; i += LINK_BATCH) {
    const batch = links.slice(i, i + LINK_BATCH);
    await transaction(dataSource, async (manager) => {
      const rows = await lockUserProfiles(manager, batch.map((link) => link.userId));
      const updates: { id: string; profile: UserProfile; updatedAt: string }[] = [];
      const audits: AuditRecord[] = [];
      for (const link of batch) {
        const row = rows.get(link.userId);
        if (!row || row.source !== 'ad') continue;
        const before = JSON.parse(row.profile) as UserProfile;
        if (link.replacing !== undefined && before.enterprise?.manager?.value !== link.replacing) continue;
        const profile = withManager(before, link.managerId);
        const changes = diffAttributes(auditView(before, false), auditView(profile, false));
        if (changes.length === 0) continue;
        updates.push({ id: row.id, profile, updatedAt: laterThan(row.updatedAt) });
        audits.push({ action: 'user.update', targetType: 'User', targetId: row.id, targetName: profile.userName, changes });
      }
      if (updates.length === 0) return;
      await assertManagesUsers(manager, context, updates.map((update) => update.id));
      await updateManagersInOneStatement(manager, updates);
      await recordAudits(manager, context, audits);
    });
  }
}

/** One UPDATE for a batch of manager links: each row its own profile, manager_id and updated_at, its version bumped. */
async function updateManagersInOneStatement(
  manager: EntityManager, updates: readonly { id: string; profile: UserProfile; updatedAt: string }[],
): Promise<void> {
  const cases = (column: (update: (typeof updates)[number]) => string | null): { sql: string; parameters: (string | null)[] } => ({
    sql: `CASE id ${updates.map(() => 'WHEN ? THEN ?').join(' ')} END`,
    parameters: updates.flatMap((update) => [update.id, column(update)]),
  });
  const columns = new Map(updates.map((update) => [update.id, columnsOf(update.profile)]));
  const profile = cases((update) => columns.get(update.id)?.profile ?? null);
  const managerId = cases((update) => columns.get(update.id)?.managerId ?? null);
  const updatedAt = cases((update) => update.updatedAt);
  await deferStatement(
    manager,
    `UPDATE users SET profile = ${profile.sql}, manager_id = ${managerId.sql}, updated_at = ${updatedAt.sql}, version = version + 1 `
      + `WHERE id IN (${updates.map(() => '?').join(', ')})`,
    [...profile.parameters, ...managerId.parameters, ...updatedAt.parameters, ...updates.map((update) => update.id)],
  );
}

/**
 * A user written with a manager id the run reserved (full-run.ts: it met the user before the
 * manager it reports to), whose manager was not then created with that id.
 */
export interface ReservedManagerLink {
  /** The user, by anchor. */
  readonly anchor: string;
  /** The manager the user reports to after all, by anchor; null when the store holds none. */
  readonly managerAnchor: string | null;
  /** The id the user was written with as its manager. */
  readonly reserved: string;
}

/**
 * Puts right the managers a streamed full run reserved and did not create: each user still naming
 * the reserved id gets the manager's real id, or no manager when the store holds no user of that
 * anchor (the manager was outside the scope, skipped, or failed to be created). A user whose
 * manager is no longer the reserved id (its write failed, or a change came between) is left as it is.
 */
export async function linkDirectoryManagers(
  dataSource: DataSource, context: ChangeContext, links: readonly ReservedManagerLink[],
): Promise<void> {
  if (context.door !== 'sync') throw forbiddenError('Only the directory sync applies directory changes');
  assertPermitted(context, 'users:write');
  for (let i = 0; i < links.length; i += CHUNK) {
    const chunk = links.slice(i, i + CHUNK);
    const anchors = chunk.flatMap((link) => (link.managerAnchor === null ? [link.anchor] : [link.anchor, link.managerAnchor]));
    const ids = await userIdsByAnchor(dataSource.manager, anchors);
    await writeManagerLinks(dataSource, context, chunk.flatMap((link): ManagerLink[] => {
      const userId = ids.get(anchorKey(link.anchor));
      const managerId = link.managerAnchor === null ? undefined : ids.get(anchorKey(link.managerAnchor));
      return userId === undefined ? [] : [{ userId, managerId, replacing: link.reserved }];
    }));
  }
}

/**
 * The ids of AD-sourced users by anchor (lower-case keys). Plain SQL: TypeORM's find built each
 * 500-anchor IN list's parameters at a cost above the query's (a 100,000-user run looks up the
 * members of every role by anchor).
 */
export async function userIdsByAnchor(manager: EntityManager, anchors: readonly string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const unique = [...new Set(anchors)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const rows = await manager.query(
      `SELECT id, source_anchor FROM users WHERE source = 'ad' AND source_anchor IN (${chunk.map(() => '?').join(', ')})`, chunk,
    ) as { id: string | number; source_anchor: string | number | null }[];
    for (const row of rows) if (row.source_anchor !== null) result.set(anchorKey(String(row.source_anchor)), String(row.id));
  }
  return result;
}

/**
 * Orders writes so that a user created in this run is written before the users it manages: their
 * manager links then name an id that exists. Iterative (manager chains can be long); a cycle is
 * cut where it is entered, and the write it cuts gets its manager afterwards (linkLateManagers).
 */
function managersFirst(writes: readonly DirectoryUserWrite[]): DirectoryUserWrite[] {
  const creates = new Map(writes.filter((write) => write.action === 'create').map((write) => [anchorKey(write.anchor), write]));
  const placed = new Set<string>();
  const ordered: DirectoryUserWrite[] = [];
  for (const write of writes) {
    const chain: DirectoryUserWrite[] = [];
    let next: DirectoryUserWrite | undefined = write;
    while (next !== undefined && !placed.has(anchorKey(next.anchor))) {
      placed.add(anchorKey(next.anchor));
      chain.push(next);
      next = next.managerAnchor === undefined ? undefined : creates.get(anchorKey(next.managerAnchor));
    }
    for (let i = chain.length - 1; i >= 0; i -= 1) ordered.push(chain[i] as DirectoryUserWrite);
  }
  return ordered;
}

/** The profile naming this manager id, or no manager when there is none to name. */
function withManager(profile: UserProfile, managerId: string | undefined): UserProfile {
  const { enterprise: current, ...rest } = profile;
  const { manager: _replaced, ...enterprise } = current ?? {};
  if (managerId !== undefined) return { ...rest, enterprise: { ...enterprise, manager: { value: managerId } } };
  return Object.keys(enterprise).length > 0 ? { ...rest, enterprise } : rest;
}

function required(write: DirectoryUserWrite): UserProfile {
  if (!write.profile) throw invalidError(`The plan gave no profile to ${write.action} ${write.anchor}`);
  return write.profile;
}

function throwIfOutage(error: unknown): void {
  const outage = asDatabaseOutage(error, 'The database connection was lost while the sync applied its changes; '
    + 'the run stopped there, and the next run applies what it did not write');
  if (outage) throw outage;
}

function describe(error: unknown): string {
  if (isUniqueViolation(error)) {
    return 'userName is already taken by another user (a SCIM-provisioned one? consider SYNC_SOFT_MATCH=true)';
  }
  return error instanceof Error ? error.message : String(error);
}
