import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { SyncRunEntity, SyncRunEntryEntity, SyncStateEntity } from '../db/entities';
import { insertRows, type RowValue } from '../db/insert-rows';
import { transaction } from '../db/transaction';
import { conflictError, DomainError, forbiddenError, invalidError, notFoundError } from '../errors';
import { assertPermitted, nowIso, type ChangeContext } from '../identity/change-context';
import { isGoverned } from '../identity/grant-rules';
import { recordAudit } from './audit';
import { announceSyncRunFinished } from './sync-run-events';

/**
 * The sync's reports: one `sync_runs` row per run, one `sync_run_entries` row per object the run
 * acted on, and the delta watermark (`sync_state`). Pure bookkeeping: no LDAP, no identity writes.
 * See docs/sync-reports.md.
 */

export const SYNC_TRIGGERS = ['schedule', 'cli', 'api'] as const;
export const SYNC_MODES = ['full', 'delta'] as const;
export const SYNC_STATUSES = ['running', 'succeeded', 'failed', 'blocked'] as const;
export const SYNC_OBJECT_TYPES = ['user', 'role'] as const;
export const SYNC_ENTRY_ACTIONS = [
  'create', 'update', 'deactivate', 'delete', 'reactivate', 'skip', 'error', 'member-add', 'member-remove',
] as const;
/** The entries `scimd sync report --errors` shows. */
export const PROBLEM_ACTIONS: readonly SyncEntryAction[] = ['error', 'skip'];

/** The lease a sync run holds (src/db/lease.ts) and the sync_state key of the Active Directory watermark. */
export const SYNC_LEASE = 'ad-sync';
export const SYNC_STATE_KEY = 'ad';

export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];
export type SyncMode = (typeof SYNC_MODES)[number];
export type SyncStatus = (typeof SYNC_STATUSES)[number];
export type FinalSyncStatus = Exclude<SyncStatus, 'running'>;
export type SyncObjectType = (typeof SYNC_OBJECT_TYPES)[number];
export type SyncEntryAction = (typeof SYNC_ENTRY_ACTIONS)[number];

export interface SyncCounters {
  /** Objects read from the directory (reported by the runner). */
  readonly read: number;
  readonly created: number;
  readonly updated: number;
  readonly deactivated: number;
  readonly deleted: number;
  readonly reactivated: number;
  /** Users compared and found equal (reported by the runner: no entry is written for them). */
  readonly unchanged: number;
  readonly skipped: number;
  readonly errors: number;
  readonly memberAdds: number;
  readonly memberRemoves: number;
}

/** The counters each entry action adds to; `read` and `unchanged` have no entries. */
const COUNTER_OF_ACTION: Readonly<Record<SyncEntryAction, keyof SyncCounters>> = {
  'create': 'created', 'update': 'updated', 'deactivate': 'deactivated', 'delete': 'deleted',
  'reactivate': 'reactivated', 'skip': 'skipped', 'error': 'errors', 'member-add': 'memberAdds',
  'member-remove': 'memberRemoves',
};

export interface AttributeChange {
  readonly attribute: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface SyncRunEntryInput {
  readonly objectType: SyncObjectType;
  readonly action: SyncEntryAction;
  /** objectGUID of the object (for member-add/-remove: of the member user). */
  readonly anchor: string;
  readonly dn?: string | null;
  readonly changes?: readonly AttributeChange[];
  readonly message?: string | null;
}

export interface SyncRunView {
  readonly id: string;
  readonly trigger: SyncTrigger;
  readonly mode: SyncMode;
  readonly modeReason: string | null;
  readonly dryRun: boolean;
  readonly status: SyncStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly server: string | null;
  readonly invocationId: string | null;
  readonly usnFrom: string | null;
  readonly usnTo: string | null;
  readonly counters: SyncCounters;
  readonly message: string | null;
  readonly actorName: string;
}

export interface SyncRunEntryView {
  readonly id: number;
  readonly objectType: SyncObjectType;
  readonly action: SyncEntryAction;
  readonly anchor: string;
  readonly dn: string | null;
  readonly changes: AttributeChange[];
  readonly message: string | null;
  readonly createdAt: string;
}

export interface SyncStateView {
  readonly key: string;
  readonly invocationId: string;
  readonly usn: string;
  readonly runId: string | null;
  readonly updatedAt: string;
}

export interface StartRunInput {
  readonly trigger: SyncTrigger;
  readonly mode: SyncMode;
  readonly modeReason?: string | null;
  readonly dryRun: boolean;
  /** Who asked for the run (a person or service account through the admin API, the CLI operator, the schedule). */
  readonly requestedBy: ChangeContext;
  /** Let this run through the accidental-delete threshold: governed (see assertMayAllowDeletes). */
  readonly allowDeletes?: boolean;
}

/**
 * Letting a run through the accidental-delete threshold is a governed change: the CLI operator (root
 * of trust) may, and so may a run that a second person approved (POST /admin/api/sync/runs/{id}/release
 * → a change request); nobody else.
 */
export function assertMayAllowDeletes(context: ChangeContext): void {
  if (isGoverned(context)) {
    throw forbiddenError('Letting a sync run through the delete threshold needs a second person\'s approval: ask for it at '
      + 'POST /admin/api/sync/runs/{id}/release on the blocked run (or run scimd sync run --allow-deletes on the server)');
  }
}

export interface FinishRunInput {
  readonly status: FinalSyncStatus;
  /**
   * Only `read` and `unchanged` are taken from here: every other counter is counted from the
   * run's entries, whatever the caller says.
   */
  readonly counters: Pick<SyncCounters, 'read' | 'unchanged'> & Partial<SyncCounters>;
  readonly server?: string | null;
  readonly invocationId?: string | null;
  readonly usnFrom?: string | number | bigint | null;
  readonly usnTo?: string | number | bigint | null;
  readonly message?: string | null;
}

/** Which of a run's entries: by action (one or several) and a search by DN, objectGUID or userName. */
export interface EntryFilter {
  readonly action?: SyncEntryAction | readonly SyncEntryAction[];
  readonly search?: string;
}

/** Runs by status, mode, trigger, dry or real, and start time (ISO 8601 UTC; from inclusive, to exclusive). */
export interface RunFilter {
  readonly status?: string;
  readonly mode?: string;
  readonly trigger?: string;
  readonly dryRun?: boolean;
  readonly from?: string;
  readonly to?: string;
}

/** Error entries of a run sharing one message. */
export interface ErrorGroup {
  readonly message: string | null;
  readonly count: number;
  /** The first entry with this message (its id), to link to an example. */
  readonly firstEntryId: number;
}

export interface Paged<T> {
  readonly total: number;
  readonly items: T[];
}

/** Attribute names whose values are secrets: such changes are dropped from entries altogether. */
const SECRET_ATTRIBUTE = /pass(word|wd)|unicodepwd|secret|credential/i;
/** A value whose JSON is longer than this is replaced by a note of its length. */
const MAX_VALUE_CHARS = 1024;
/** MariaDB TEXT holds 65,535 bytes; changes beyond this budget keep only their attribute names. */
const MAX_CHANGES_CHARS = 15_000;
const MAX_MESSAGE_CHARS = 4_000;
/** Rows per INSERT: 8 parameters a row (4,000 a statement) stays far below every driver's limit; a 1,000-user page is two. */
const INSERT_BATCH = 500;
const ENTRY_COLUMNS = ['run_id', 'anchor', 'dn', 'object_type', 'action', 'changes', 'message', 'created_at'] as const;
const NO_CHANGES: readonly AttributeChange[] = [];
/** Longest entry search: a DN is at most 1,024 characters. */
const MAX_SEARCH_CHARS = 1024;

export class SyncRuns {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a new run as `running` and returns its id. */
  async start(input: StartRunInput): Promise<string> {
    oneOf('trigger', input.trigger, SYNC_TRIGGERS);
    oneOf('mode', input.mode, SYNC_MODES);
    assertPermitted(input.requestedBy, 'sync:run');
    if (input.allowDeletes === true) assertMayAllowDeletes(input.requestedBy);
    const id = randomUUID();
    await transaction(this.dataSource, async (manager) => {
      // Runs are ordered by started_at: keep it strictly increasing even within one millisecond.
      const last = await manager.createQueryBuilder(SyncRunEntity, 'r')
        .select('MAX(r.started_at)', 'startedAt').getRawOne<{ startedAt: string | null }>();
      let startedAt = nowIso();
      if (last?.startedAt && last.startedAt >= startedAt) {
        startedAt = new Date(Date.parse(last.startedAt) + 1).toISOString();
      }
      await manager.insert(SyncRunEntity, {
        id, trigger: input.trigger, mode: input.mode, modeReason: clip(input.modeReason ?? null, 255),
        dryRun: input.dryRun, status: 'running', startedAt, finishedAt: null, durationMs: null, server: null,
        invocationId: null, usnFrom: null, usnTo: null, message: null,
        actorName: clip(input.requestedBy.actor.name, 255) ?? '',
      });
      await recordAudit(manager, input.requestedBy, {
        action: 'sync.run', targetType: 'SyncRun', targetId: id, targetName: null,
        changes: {
          trigger: input.trigger, mode: input.mode, dryRun: input.dryRun,
          ...(input.allowDeletes === true ? { allowDeletes: true } : {}),
          ...(input.requestedBy.approval ? { approval: input.requestedBy.approval } : {}),
        },
      });
    });
    return id;
  }

  /** Appends report entries to a running run, in batches. Changes to secret attributes are dropped. */
  async addEntries(runId: string, entries: readonly SyncRunEntryInput[]): Promise<void> {
    if (entries.length === 0) {
      await this.requireRunning(this.dataSource.manager, runId);
      return;
    }
    const createdAt = nowIso();
    // Entries may share one changes list (a role's member entries): serialised once.
    const serialized = new Map<readonly AttributeChange[], string>();
    const changesText = (changes: readonly AttributeChange[]): string => {
      let text = serialized.get(changes);
      if (text === undefined) serialized.set(changes, text = serializeChanges(changes));
      return text;
    };
    const rows = entries.map((entry): RowValue[] => {
      oneOf('objectType', entry.objectType, SYNC_OBJECT_TYPES);
      oneOf('action', entry.action, SYNC_ENTRY_ACTIONS);
      if (typeof entry.anchor !== 'string' || entry.anchor === '') throw invalidError('Every entry needs an anchor');
      return [
        runId, entry.anchor.slice(0, 64), clip(entry.dn ?? null, 1024), entry.objectType, entry.action,
        changesText(entry.changes ?? NO_CHANGES), clip(entry.message ?? null, MAX_MESSAGE_CHARS), createdAt,
      ];
    });
    await transaction(this.dataSource, async (manager) => {
      // Locks the run row on MariaDB: entries cannot slip in while finish() counts them.
      await this.requireRunning(manager, runId, true);
      // Plain multi-row INSERTs: a full sync writes an entry per change, and TypeORM's insert builder cost more than the rows.
      await insertRows(manager, 'sync_run_entries', ENTRY_COLUMNS, rows, INSERT_BATCH);
    });
  }

  /**
   * Ends a running run. Its action counters are counted from its entries in the same transaction,
   * so that a report's counters always equal its entries.
   */
  async finish(runId: string, input: FinishRunInput): Promise<SyncRunView> {
    oneOf('status', input.status, SYNC_STATUSES.filter((status) => status !== 'running'));
    const read = count('read', input.counters.read);
    const unchanged = count('unchanged', input.counters.unchanged);
    const finishedAt = nowIso();
    await transaction(this.dataSource, async (manager) => {
      const run = await this.requireRunning(manager, runId, true);
      const startedMs = Date.parse(run.startedAt);
      const finishedMs = Math.max(Date.parse(finishedAt), startedMs);
      const result = await manager.createQueryBuilder().update(SyncRunEntity)
        .set({
          status: input.status, finishedAt: new Date(finishedMs).toISOString(), durationMs: finishedMs - startedMs,
          server: clip(input.server ?? null, 255), invocationId: clip(input.invocationId ?? null, 64),
          usnFrom: usnText('usnFrom', input.usnFrom), usnTo: usnText('usnTo', input.usnTo),
          message: clip(input.message ?? null, MAX_MESSAGE_CHARS), readCount: read, unchangedCount: unchanged,
        })
        .where('id = :id AND status = :running', { id: runId, running: 'running' })
        .execute();
      if (result.affected !== 1) throw conflictError(`Sync run ${runId} is not running`);
      const counted = countersOf(await manager.createQueryBuilder(SyncRunEntryEntity, 'e')
        .select('e.action', 'action').addSelect('COUNT(*)', 'n')
        .where('e.run_id = :runId', { runId }).groupBy('e.action')
        .getRawMany<{ action: string; n: number | string }>());
      await manager.update(SyncRunEntity, { id: runId }, {
        createdCount: counted.created, updatedCount: counted.updated, deactivatedCount: counted.deactivated,
        deletedCount: counted.deleted, reactivatedCount: counted.reactivated, skippedCount: counted.skipped,
        errorCount: counted.errors, memberAddCount: counted.memberAdds, memberRemoveCount: counted.memberRemoves,
      });
    });
    const finished = await this.get(runId);
    announceSyncRunFinished(this.dataSource, finished);
    return finished;
  }

  /**
   * Ends every run still recorded as `running` as failed, and returns their ids. Only whoever has just
   * taken the sync lease may call it: holding the lease means no other process runs a sync, so such a
   * run's process stopped (killed, crashed, or cut off from the database) before it could record its
   * end. Its watermark was never advanced, so the next run re-reads what it would have applied.
   */
  async failAbandoned(message: string): Promise<string[]> {
    const stale = await this.dataSource.getRepository(SyncRunEntity).find({ select: { id: true }, where: { status: 'running' } });
    const ended: string[] = [];
    for (const { id } of stale) {
      try {
        await this.finish(id, { status: 'failed', counters: { read: 0, unchanged: 0 }, message });
        ended.push(id);
      } catch (error) {
        // Ended meanwhile by its own process (a slow finish, not a dead one): nothing to mark.
        if (!(error instanceof DomainError && error.kind === 'conflict')) throw error;
      }
    }
    return ended;
  }

  /** Runs, newest first. */
  async list(options: { limit: number; offset: number }): Promise<Paged<SyncRunView>> {
    const repository = this.dataSource.getRepository(SyncRunEntity);
    const [rows, total] = await repository.findAndCount({
      order: { startedAt: 'DESC', id: 'DESC' }, take: options.limit, skip: options.offset,
    });
    return { total, items: rows.map(runView) };
  }

  async get(runId: string): Promise<SyncRunView> {
    const run = await this.dataSource.getRepository(SyncRunEntity).findOneBy({ id: runId });
    if (!run) throw notFoundError(`No sync run "${runId}"`);
    return runView(run);
  }

  /** The most recent run, or undefined when there has been none. */
  async latest(): Promise<SyncRunView | undefined> {
    return (await this.list({ limit: 1, offset: 0 })).items[0];
  }

  /**
   * A run's entries in the order they were written; `page` counts from 1. `search` keeps the entries
   * whose DN contains it or whose user's userName starts with it (see entriesWhere).
   */
  async entries(
    runId: string,
    options: { action?: SyncEntryAction | readonly SyncEntryAction[]; search?: string; page: number; pageSize: number },
  ): Promise<Paged<SyncRunEntryView>> {
    await this.get(runId);
    const page = wholeAtLeastOne(options.page);
    const pageSize = wholeAtLeastOne(options.pageSize);
    const query = this.entriesWhere(runId, options);
    const [rows, total] = await query.orderBy('e.id', 'ASC').skip((page - 1) * pageSize).take(pageSize).getManyAndCount();
    return { total, items: rows.map(entryView) };
  }

  /**
   * A page of a run's entries by keyset (the console's run detail): those after entry `after` (or
   * before `before`, for the page back), oldest first, and whether more lie beyond. It never counts
   * and never skips rows, so page 2,000 of a 100,000-entry run costs what page 1 does: the run's
   * entries are one range of the primary key (one run at a time, entries written as it goes), read
   * from the key onwards until the page is full.
   */
  async entryPage(runId: string, options: EntryFilter & {
    after?: number; before?: number; limit: number;
  }): Promise<{ items: SyncRunEntryView[]; more: boolean }> {
    const limit = wholeAtLeastOne(options.limit);
    const query = this.entriesWhere(runId, options);
    const backwards = options.before !== undefined;
    if (options.after !== undefined) query.andWhere('e.id > :after', { after: options.after });
    if (options.before !== undefined) query.andWhere('e.id < :before', { before: options.before });
    const rows = await query.orderBy('e.id', backwards ? 'DESC' : 'ASC').limit(limit + 1).getMany();
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    if (backwards) page.reverse();
    return { items: page.map(entryView), more };
  }

  /** How many of a run's entries match (the `total` of entries() for the same filter). */
  async countEntries(runId: string, options: EntryFilter): Promise<number> {
    return this.entriesWhere(runId, options).getCount();
  }

  /**
   * A run's entries of each action counted now: the counters of a run still going (a finished run's
   * stored counters are these numbers, see finish). One GROUP BY on the (run_id, action) index.
   */
  async liveCounters(runId: string): Promise<SyncCounters> {
    return countersOf(await this.dataSource.getRepository(SyncRunEntryEntity).createQueryBuilder('e')
      .select('e.action', 'action').addSelect('COUNT(*)', 'n')
      .where('e.run_id = :runId', { runId }).groupBy('e.action')
      .getRawMany<{ action: string; n: number | string }>());
  }

  /**
   * A run's errors grouped by cause: each distinct message with how many `error` entries carry it,
   * the most frequent first (ties by message). Reads the run's error rows through the (run_id,
   * action) index; `total` is the number of distinct causes.
   */
  async errorGroups(runId: string, options: { limit: number; offset: number }): Promise<Paged<ErrorGroup>> {
    await this.get(runId);
    const grouped = () => this.dataSource.getRepository(SyncRunEntryEntity).createQueryBuilder('e')
      .where('e.run_id = :runId AND e.action = :error', { runId, error: 'error' });
    const counted = await grouped().select('COUNT(DISTINCT COALESCE(e.message, \'\'))', 'n').getRawOne<{ n: number | string }>();
    const rows = await grouped()
      .select('e.message', 'message').addSelect('COUNT(*)', 'n').addSelect('MIN(e.id)', 'firstId')
      .groupBy('e.message').orderBy('n', 'DESC').addOrderBy('e.message', 'ASC')
      .limit(wholeAtLeastOne(options.limit)).offset(Math.max(0, Math.floor(options.offset)))
      .getRawMany<{ message: string | null; n: number | string; firstId: number | string }>();
    return {
      total: Number(counted?.n ?? 0),
      items: rows.map((row) => ({ message: row.message, count: Number(row.n), firstEntryId: Number(row.firstId) })),
    };
  }

  /** Runs matching a filter, newest first (the console's runs list): the same order as list(). */
  async search(filter: RunFilter, options: { limit: number; offset: number }): Promise<Paged<SyncRunView>> {
    const query = this.dataSource.getRepository(SyncRunEntity).createQueryBuilder('r');
    if (filter.status !== undefined) query.andWhere('r.status = :status', { status: oneOfValue('status', filter.status, SYNC_STATUSES) });
    if (filter.mode !== undefined) query.andWhere('r.mode = :mode', { mode: oneOfValue('mode', filter.mode, SYNC_MODES) });
    if (filter.trigger !== undefined) {
      query.andWhere('r.triggered_by = :trigger', { trigger: oneOfValue('trigger', filter.trigger, SYNC_TRIGGERS) });
    }
    if (filter.dryRun !== undefined) query.andWhere('r.dry_run = :dryRun', { dryRun: filter.dryRun });
    // started_at is an ISO 8601 UTC string: ordered as text, and the index ix_sync_runs_started_at serves the range.
    if (filter.from !== undefined) query.andWhere('r.started_at >= :from', { from: filter.from });
    if (filter.to !== undefined) query.andWhere('r.started_at < :to', { to: filter.to });
    const [rows, total] = await query.orderBy('r.started_at', 'DESC').addOrderBy('r.id', 'DESC')
      .take(options.limit).skip(options.offset).getManyAndCount();
    return { total, items: rows.map(runView) };
  }

  /**
   * The size of the directory over time: what each of the last `limit` succeeded full runs read
   * (users and groups in the sync's scope), oldest first. Only a full run reads the whole scope; a
   * delta reads the changes.
   */
  async directorySizes(limit: number): Promise<{ runId: string; startedAt: string; read: number }[]> {
    const rows = await this.dataSource.getRepository(SyncRunEntity).createQueryBuilder('r')
      .select(['r.id', 'r.startedAt', 'r.readCount'])
      .where('r.mode = :full AND r.status = :succeeded', { full: 'full', succeeded: 'succeeded' })
      .orderBy('r.started_at', 'DESC').addOrderBy('r.id', 'DESC').limit(wholeAtLeastOne(limit)).getMany();
    return rows.reverse().map((row) => ({ runId: row.id, startedAt: row.startedAt, read: row.readCount }));
  }

  /**
   * The condition of a run's entries: by action through the (run_id, action) index; a search looks
   * at the run's rows only: the DN contains the text (case-insensitively; no index holds DNs, they
   * run beyond MariaDB's index prefix), the anchor is the text, or the entry's user (by objectGUID)
   * has a userName starting with it (a range of the unique index on user_name_key).
   */
  private entriesWhere(runId: string, filter: EntryFilter) {
    const actions = filter.action === undefined ? [] : typeof filter.action === 'string' ? [filter.action] : filter.action;
    for (const action of actions) oneOf('action', action, SYNC_ENTRY_ACTIONS);
    const query = this.dataSource.getRepository(SyncRunEntryEntity).createQueryBuilder('e')
      .where('e.run_id = :runId', { runId });
    if (actions.length > 0) query.andWhere('e.action IN (:...actions)', { actions: [...actions] });
    const search = filter.search?.trim().toLowerCase() ?? '';
    if (search !== '') {
      if (search.length > MAX_SEARCH_CHARS) throw invalidError(`A search is at most ${MAX_SEARCH_CHARS} characters`);
      const literal = likeLiteral(search);
      query.andWhere('(LOWER(e.dn) LIKE :contains ESCAPE \'!\' OR e.anchor = :exact OR e.anchor IN '
        + '(SELECT u.source_anchor FROM users u WHERE u.user_name_key LIKE :prefix ESCAPE \'!\' AND u.source_anchor IS NOT NULL))', {
        contains: `%${literal}%`, prefix: `${literal}%`, exact: filter.search?.trim() ?? '',
      });
    }
    return query;
  }

  /** The watermark the next delta run starts from, or undefined before the first successful run. */
  async getState(key: string = SYNC_STATE_KEY): Promise<SyncStateView | undefined> {
    const state = await this.dataSource.getRepository(SyncStateEntity).findOneBy({ key });
    return state ? { ...state } : undefined;
  }

  /**
   * Moves the watermark. Only a run that finished `succeeded` and was not a dry run may move it:
   * anything else would make the next delta skip changes that were never applied.
   */
  async setState(input: {
    key?: string; runId: string; invocationId: string; usn: string | number | bigint;
  }): Promise<SyncStateView> {
    const key = input.key ?? SYNC_STATE_KEY;
    const usn = usnText('usn', input.usn);
    if (usn === null) throw invalidError('usn is required');
    if (typeof input.invocationId !== 'string' || input.invocationId === '' || input.invocationId.length > 64) {
      throw invalidError('invocationId must be 1-64 characters');
    }
    const run = await this.get(input.runId);
    if (run.status !== 'succeeded' || run.dryRun) {
      throw conflictError(`Sync run ${run.id} is ${run.dryRun ? 'a dry run' : run.status}: only a succeeded run moves the watermark`);
    }
    const state = { key, invocationId: input.invocationId, usn, runId: run.id, updatedAt: nowIso() };
    await transaction(this.dataSource, async (manager) => {
      const existing = await manager.findOneBy(SyncStateEntity, { key });
      if (existing) await manager.update(SyncStateEntity, { key }, state);
      else await manager.insert(SyncStateEntity, state);
    });
    return state;
  }

  private async requireRunning(manager: EntityManager, runId: string, lock = false): Promise<SyncRunEntity> {
    const query = manager.createQueryBuilder(SyncRunEntity, 'r').where('r.id = :runId', { runId });
    // SQLite has no row locks (and needs none: its transactions run one at a time).
    if (lock && this.dataSource.options.type !== 'better-sqlite3') query.setLock('pessimistic_write');
    const run = await query.getOne();
    if (!run) throw notFoundError(`No sync run "${runId}"`);
    if (run.status !== 'running') throw conflictError(`Sync run ${runId} has finished (${run.status})`);
    return run;
  }
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidError(`${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  }
}

function oneOfValue<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  oneOf(name, value, allowed);
  return value;
}

/** A search text as a LIKE literal whose escape character is `!` (one character on SQLite and MariaDB alike). */
function likeLiteral(text: string): string {
  return text.replace(/[!%_]/g, (character) => `!${character}`);
}

function count(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw invalidError(`counters.${name} must be a whole number ≥ 0`);
  }
  return value;
}

function usnText(name: string, value: string | number | bigint | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  if (!/^\d{1,20}$/.test(text)) throw invalidError(`${name} must be a whole number ≥ 0, not ${JSON.stringify(text)}`);
  return text;
}

function wholeAtLeastOne(value: number): number {
  return Number.isFinite(value) ? Math.max(1, Math.floor(value)) : 1;
}

function clip(value: string | null, length: number): string | null {
  return value === null ? null : value.slice(0, length);
}

/** The changes as stored: secrets dropped, long values replaced by their length. */
export function serializeChanges(changes: readonly AttributeChange[]): string {
  // Usually the whole list is shorter than one value may be: no value needs measuring on its own.
  const plain = JSON.stringify(changes.filter((change) => !SECRET_ATTRIBUTE.test(change.attribute))
    .map((change) => ({ attribute: change.attribute, from: change.from, to: change.to })));
  if (plain.length <= MAX_VALUE_CHARS) return plain;
  const kept = changes.filter((change) => !SECRET_ATTRIBUTE.test(change.attribute)).map((change) => ({
    attribute: change.attribute,
    ...storable('from', change.from),
    ...storable('to', change.to),
  }));
  const json = JSON.stringify(kept);
  if (json.length <= MAX_CHANGES_CHARS) return json;
  return JSON.stringify(kept.map((change) => ({ attribute: change.attribute, omitted: 'too long for the report' })));
}

function storable(side: 'from' | 'to', value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) return {};
  return { [side]: json.length <= MAX_VALUE_CHARS ? value : `(${json.length} characters, not shown)` };
}

function countersOf(rows: readonly { action: string; n: number | string }[]): SyncCounters {
  const counters: Record<keyof SyncCounters, number> = {
    read: 0, created: 0, updated: 0, deactivated: 0, deleted: 0, reactivated: 0, unchanged: 0, skipped: 0,
    errors: 0, memberAdds: 0, memberRemoves: 0,
  };
  for (const row of rows) {
    const counter = COUNTER_OF_ACTION[row.action as SyncEntryAction] as keyof SyncCounters | undefined;
    if (counter) counters[counter] += Number(row.n);
  }
  return counters;
}

function runView(run: SyncRunEntity): SyncRunView {
  return {
    id: run.id,
    trigger: run.trigger as SyncTrigger,
    mode: run.mode as SyncMode,
    modeReason: run.modeReason,
    dryRun: Boolean(run.dryRun),
    status: run.status as SyncStatus,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    server: run.server,
    invocationId: run.invocationId,
    usnFrom: run.usnFrom,
    usnTo: run.usnTo,
    counters: {
      read: run.readCount, created: run.createdCount, updated: run.updatedCount, deactivated: run.deactivatedCount,
      deleted: run.deletedCount, reactivated: run.reactivatedCount, unchanged: run.unchangedCount,
      skipped: run.skippedCount, errors: run.errorCount, memberAdds: run.memberAddCount, memberRemoves: run.memberRemoveCount,
    },
    message: run.message,
    actorName: run.actorName,
  };
}

function entryView(entry: SyncRunEntryEntity): SyncRunEntryView {
  let changes: AttributeChange[] = [];
  try {
    const parsed = JSON.parse(entry.changes) as unknown;
    if (Array.isArray(parsed)) changes = parsed as AttributeChange[];
  } catch {
    changes = [];
  }
  return {
    id: entry.id,
    objectType: entry.objectType as SyncObjectType,
    action: entry.action as SyncEntryAction,
    anchor: entry.anchor,
    dn: entry.dn,
    changes,
    message: entry.message,
    createdAt: entry.createdAt,
  };
}
