import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { DataSource } from 'typeorm';
import { DEFAULT_SYNC_LEASE_TTL_SECONDS, type SyncConfig } from '../src/config';
import { acquireLease, releaseLease, renewLease } from '../src/db/lease';
import { assertMayAllowDeletes, SyncRuns, SYNC_LEASE, type SyncRunEntryInput, type SyncRunView } from '../src/governance/sync-runs';
import { ServiceAccounts } from '../src/auth/service-accounts';
import { BATCH_SYNC_ACCOUNT, batchSyncContext, type ChangeContext } from '../src/identity/change-context';
import { DirectoryView } from '../src/identity/directory-view';
import { UserDirectory } from '../src/identity/users';
import { describeError } from '../src/log-error';
import type { Logger } from '../src/logger';
import { deltaScope, type DeltaScope } from './delta-scope';
import { checkDeleteThreshold } from './guard';
import { openLdap } from './ldap/connection';
import { runFullStreamed } from './full-run';
import { MAX_PAGE_SIZE, readDirectory, readGroupMembers, readServerState, streamFullRead, WatermarkMismatchError } from './ldap/source';
import { loadMapping, userAttributesToRead } from './mapping';
import { planSync, type PlannedSync } from './planner';
import type { SyncProgressCounts } from './progress';
import {
  applyRoleChanges, isWriting, outcomeEntries, plannedRoleEntries, plannedUserEntries, skipEntry, toWrite,
} from './run-entries';
import { buildStoreView } from './store-view';
import type { DirectoryRead, SyncMapping, Watermark } from './types';

export interface SyncRunOptions {
  readonly trigger: 'schedule' | 'cli' | 'api';
  /** Undefined: delta when a watermark exists, else full. */
  readonly mode?: 'full' | 'delta';
  readonly dryRun?: boolean;
  /** Let this one run through the accidental-delete threshold. */
  readonly allowDeletes?: boolean;
  readonly onProgress?: (stage: string) => void;
  /**
   * Users per LDAP page and per page of the store walk (default 1,000). The full run's memory follows
   * it; tests use small pages to cross page boundaries with a few users.
   */
  readonly pageSize?: number;
  /** Counts as they move (users read, planned, applied): a full run reports after every page. */
  readonly onCounts?: (counts: SyncProgressCounts) => void;
  /** Called once the run is recorded, with its id (the admin API answers with it at once). */
  readonly onStart?: (runId: string) => void;
  /**
   * Who asked for the run: the admin API's caller, the CLI operator; the schedule when absent. The
   * run records and audits it; the changes themselves are always written as Batch sync.
   */
  readonly requestedBy?: ChangeContext;
}

export interface SyncDependencies {
  readonly dataSource: DataSource;
  readonly config: SyncConfig;
  readonly logger: Logger;
  readonly now?: () => Date;
  /**
   * Told of every search the run sends to the directory (base, attributes, and the connection: a full
   * run reads its groups on a second one): tests count what a run reads.
   */
  readonly onLdapSearch?: (base: string, attributes: readonly string[], connection: LdapConnectionRole) => void;
}

/** The run's first connection, or the one a full run reads its groups on. */
export type LdapConnectionRole = 'main' | 'groups';

/** Another replica (or process) holds the sync lease. */
export class SyncBusyError extends Error {
  constructor(holder: string) {
    super(`Another sync is running (${holder}); this one did not start`);
    this.name = 'SyncBusyError';
  }
}

/**
 * One sync run, start to finish: take the lease, read the directory, plan everything, check the
 * delete threshold, apply in batches as Batch sync, and record the run with one entry per change.
 * The watermark advances only when the run applied every change; otherwise the next delta re-reads.
 */
export async function runSync(deps: SyncDependencies, options: SyncRunOptions): Promise<SyncRunView> {
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseTtlMs = (deps.config.leaseTtlSeconds ?? DEFAULT_SYNC_LEASE_TTL_SECONDS) * 1000;
  if (!await acquireLease(deps.dataSource, SYNC_LEASE, holder, leaseTtlMs)) throw new SyncBusyError('lease held');
  const keepAlive = setInterval(() => {
    renewLease(deps.dataSource, SYNC_LEASE, holder, leaseTtlMs).catch(() => undefined);
  }, leaseTtlMs / 3);
  try {
    return await runHoldingLease(deps, options);
  } finally {
    clearInterval(keepAlive);
    await releaseLease(deps.dataSource, SYNC_LEASE, holder).catch(() => undefined);
  }
}

async function runHoldingLease(deps: SyncDependencies, options: SyncRunOptions): Promise<SyncRunView> {
  const runs = new SyncRuns(deps.dataSource);
  const now = deps.now ?? (() => new Date());
  const progress = options.onProgress ?? (() => undefined);
  const dryRun = options.dryRun === true;
  // The sync acts with what its own account's roles allow, as stored: take Batch sync's role away and it writes nothing.
  const acting = await new ServiceAccounts(deps.dataSource).actingAs(BATCH_SYNC_ACCOUNT.id);
  const requestedBy = options.requestedBy ?? batchSyncContext(acting);
  if (options.allowDeletes === true) assertMayAllowDeletes(requestedBy);
  const abandoned = await runs.failAbandoned('abandoned: the process running it stopped before the run ended; the next run re-reads its changes');
  if (abandoned.length > 0) deps.logger.warn({ runIds: abandoned }, 'marked sync runs abandoned by a stopped process as failed');
  const state = await runs.getState();
  let mode: 'full' | 'delta' = options.mode ?? 'delta';
  let modeReason: string | undefined = options.mode === 'full' ? 'full run requested' : undefined;
  if (mode === 'delta' && !state) {
    mode = 'full';
    modeReason = 'no watermark from an earlier successful run (first run, or none has succeeded yet)';
  }
  const since: Watermark | undefined = state
    ? { invocationId: state.invocationId, highestCommittedUsn: Number(state.usn), server: '' }
    : undefined;

  let client: Awaited<ReturnType<typeof openLdap>> | undefined;
  let runId: string | undefined;
  try {
    progress('connecting');
    const mapping = await loadMappingFile(deps.config.mappingFile);
    client = await connect(deps, 'main');
    if (mode === 'delta' && since) {
      const server = await readServerState(client);
      if (server.invocationId !== since.invocationId.toLowerCase()) {
        mode = 'full';
        modeReason = `the domain controller changed or was restored (invocationId ${since.invocationId} → ${server.invocationId})`;
      }
    }
    runId = await runs.start({
      trigger: options.trigger, mode, modeReason: modeReason ?? null, dryRun, requestedBy, allowDeletes: options.allowDeletes === true,
    });
    options.onStart?.(runId);
    progress(`reading (${mode})`);
    if (mode === 'full') {
      return await fullRun(deps, options, {
        client, mapping, runs, runId, acting: batchSyncContext({ requestId: runId, ...acting }), now: now(), progress,
      });
    }
    let read: DirectoryRead;
    try {
      read = await readDirectory(client, readOptions(deps.config, mapping, mode, since));
    } catch (error) {
      if (!(error instanceof WatermarkMismatchError)) throw error;
      // The run is already recorded as delta; say so and read everything.
      deps.logger.warn({ runId, reason: error.message }, 'delta sync cannot continue from the watermark; reading everything');
      read = await readDirectory(client, readOptions(deps.config, mapping, 'full', undefined));
    }
    const directory = new DirectoryView(deps.dataSource);
    let scope: DeltaScope | undefined;
    if (read.mode === 'delta' && since) {
      // Members are read only of the groups whose roles are planned whole (delta-scope.ts).
      scope = await deltaScope(directory, read, mapping, since.highestCommittedUsn);
      read = { ...read, groups: await readGroupMembers(client, read.groups, scope.groupsToRead) };
    }
    progress('planning');
    const store = await buildStoreView(directory, read, mapping, deps.config.softMatchByUserName, scope);
    const plan = planSync(read, store, mapping, {
      softMatchByUserName: deps.config.softMatchByUserName, deletePolicy: deps.config.deletePolicy,
    }, now());
    // The guard's percentage is of the AD users in the store; a delta that deactivates and deletes nobody needs no count.
    const destructive = plan.users.some((entry) => entry.action === 'deactivate' || entry.action === 'delete');
    const storeSize = read.mode === 'full' ? store.users.length : destructive ? await directory.adUserCount() : 0;
    const guard = checkDeleteThreshold(plan, {
      threshold: deps.config.deleteThreshold, thresholdPercent: deps.config.deleteThresholdPercent, storeSize,
      allowDeletes: options.allowDeletes === true,
    });
    const base = {
      counters: { read: read.users.length + read.groups.length, unchanged: plan.users.filter((u) => u.action === 'unchanged').length },
      server: read.watermark.server, invocationId: read.watermark.invocationId,
      usnFrom: since && read.mode === 'delta' ? since.highestCommittedUsn : null, usnTo: read.watermark.highestCommittedUsn,
    };
    if (guard.blocked || dryRun) {
      await runs.addEntries(runId, plannedEntries(plan));
      return await runs.finish(runId, {
        ...base, status: guard.blocked ? 'blocked' : 'succeeded',
        message: guard.blocked ? `${guard.reason ?? 'delete threshold exceeded'}; nothing was applied (scimd sync run --allow-deletes lets one run through)` : 'dry run: nothing was applied',
      });
    }
    progress('applying');
    const errors = await apply(deps.dataSource, batchSyncContext({ requestId: runId, ...acting }), plan, runs, runId);
    const finished = await runs.finish(runId, {
      ...base, status: 'succeeded', message: errors > 0 ? `${errors} change(s) failed; the next run retries them` : null,
    });
    if (errors === 0) {
      await runs.setState({ runId, invocationId: read.watermark.invocationId, usn: read.watermark.highestCommittedUsn });
    }
    return finished;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error({ runId, err: describeError(error) }, 'sync run failed');
    if (runId === undefined) {
      runId = await runs.start({ trigger: options.trigger, mode, modeReason: modeReason ?? null, dryRun, requestedBy });
      options.onStart?.(runId);
    }
    // Awaited here, not returned as it is: the `finally` below awaits the LDAP unbind first, and a finish
    // that fails meanwhile (the database is down) would be a rejection nobody handles yet, which ends the server.
    return await runs.finish(runId, { status: 'failed', counters: { read: 0, unchanged: 0 }, message: `failed: ${message}` });
  } finally {
    await client?.unbind().catch(() => undefined);
  }
}

/**
 * Users per page of a streamed full run: AD's MaxPageSize. Each page costs a round of store look-ups
 * and a commit, so fewer, larger pages cost fewer statements; two pages in memory stay small.
 */
const FULL_RUN_PAGE_SIZE = MAX_PAGE_SIZE;

interface FullRunParts {
  readonly client: Awaited<ReturnType<typeof openLdap>>;
  readonly mapping: SyncMapping;
  readonly runs: SyncRuns;
  readonly runId: string;
  readonly acting: ChangeContext;
  readonly now: Date;
  readonly progress: (stage: string) => void;
}

/**
 * A full run, streamed page by page (full-run.ts), and its record. The groups are read on a second
 * connection, from the start of the run: the DC serves a connection's requests one after another, so
 * on the users' connection the roles' member lists (a group of everyone: 100,000 DNs) could only be
 * read after the last page of users.
 */
async function fullRun(deps: SyncDependencies, options: SyncRunOptions, parts: FullRunParts): Promise<SyncRunView> {
  const groupsClient = await connect(deps, 'groups');
  try {
    return await streamedFullRun(deps, options, parts, groupsClient);
  } finally {
    await groupsClient.unbind().catch(() => undefined);
  }
}

async function streamedFullRun(
  deps: SyncDependencies, options: SyncRunOptions, parts: FullRunParts, groupsClient: Awaited<ReturnType<typeof openLdap>>,
): Promise<SyncRunView> {
  const { runs, runId } = parts;
  const dryRun = options.dryRun === true;
  let phase: SyncProgressCounts['phase'] = 'users';
  const read = await streamFullRead(parts.client, {
    ...readOptions(deps.config, parts.mapping, 'full', undefined), pageSize: options.pageSize ?? FULL_RUN_PAGE_SIZE,
  }, groupsClient);
  const result = await runFullStreamed({
    dataSource: deps.dataSource, config: deps.config, mapping: parts.mapping, now: parts.now, runs, runId, context: parts.acting,
    dryRun, allowDeletes: options.allowDeletes === true, storePageSize: options.pageSize ?? FULL_RUN_PAGE_SIZE, storeSize: await new DirectoryView(deps.dataSource).adUserCount(), read,
    onCounts: (counts) => {
      // Each step after the users is a stage of its own, so that time and memory can be told apart per step.
      if (counts.phase !== phase) {
        phase = counts.phase;
        if (phase !== 'users') parts.progress(phase);
      }
      options.onCounts?.(counts);
    },
    onFirstWrite: () => parts.progress('applying'),
  });
  const base = {
    counters: { read: result.read, unchanged: result.unchanged },
    server: read.watermark.server, invocationId: read.watermark.invocationId, usnFrom: null, usnTo: read.watermark.highestCommittedUsn,
  };
  if (result.guard.blocked || dryRun) {
    return runs.finish(runId, {
      ...base, status: result.guard.blocked ? 'blocked' : 'succeeded',
      message: result.guard.blocked
        ? `${result.guard.reason ?? 'delete threshold exceeded'}; no deactivation or deletion was applied, creations and updates were (scimd sync run --allow-deletes lets one run through)`
        : 'dry run: nothing was applied',
    });
  }
  const finished = await runs.finish(runId, {
    ...base, status: 'succeeded', message: result.errors > 0 ? `${result.errors} change(s) failed; the next run retries them` : null,
  });
  if (result.errors === 0) await runs.setState({ runId, invocationId: read.watermark.invocationId, usn: read.watermark.highestCommittedUsn });
  return finished;
}

/**
 * Applies a delta run's plan as Batch sync through floor 2's write path (UserDirectory, RoleDirectory),
 * and reports what was written: a change the store already held is not reported as made.
 */
async function apply(
  dataSource: DataSource, context: ChangeContext, plan: PlannedSync, runs: SyncRuns, runId: string,
): Promise<number> {
  const writing = plan.users.filter(isWriting);
  await runs.addEntries(runId, plan.users.filter((entry) => entry.action === 'skip').map(skipEntry));
  const outcomes = await new UserDirectory(dataSource).applyDirectoryChanges(context, writing.map(toWrite));
  await runs.addEntries(runId, outcomeEntries(writing, outcomes));
  const errors = outcomes.filter((outcome) => outcome.error !== undefined).length;
  return errors + await applyRoleChanges(dataSource, context, plan.roles, runs, runId);
}

function plannedEntries(plan: PlannedSync): SyncRunEntryInput[] {
  return [...plannedUserEntries(plan.users), ...plannedRoleEntries(plan.roles)];
}

function readOptions(config: SyncConfig, mapping: SyncMapping, mode: 'full' | 'delta', since: Watermark | undefined) {
  const groupDns: string[] = [];
  const groupGuids: string[] = [];
  const groupsUnder: string[] = [];
  for (const rule of mapping.groups) {
    if ('groupsUnder' in rule) groupsUnder.push(rule.groupsUnder);
    else if ('guid' in rule.group) groupGuids.push(rule.group.guid);
    else groupDns.push(rule.group.dn);
  }
  return {
    baseDns: config.baseDns, userFilter: config.userFilter, groupFilter: config.groupFilter,
    groupDns, groupGuids, groupsUnder, attributes: userAttributesToRead(mapping), mode,
    ...(mode === 'delta' && since ? { since } : {}),
  };
}

async function loadMappingFile(file: string | undefined): Promise<SyncMapping> {
  if (file === undefined) return loadMapping('{"groups": []}');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`SYNC_MAPPING_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return loadMapping(text);
}

/** A bound connection to the directory, as the configuration says, its searches observed if asked. */
async function connect(deps: SyncDependencies, role: LdapConnectionRole): Promise<Awaited<ReturnType<typeof openLdap>>> {
  const client = await openLdap({
    url: deps.config.ldap.url, bindDn: deps.config.ldap.bindDn, bindPassword: deps.config.ldap.bindPassword,
    startTls: deps.config.ldap.startTls, allowPlain: deps.config.ldap.allowPlain,
    ...(deps.config.ldap.caFile ? { caFile: deps.config.ldap.caFile } : {}),
    ...(deps.config.ldap.tlsServerName ? { servername: deps.config.ldap.tlsServerName } : {}),
  });
  const observe = deps.onLdapSearch;
  if (observe) observeSearches(client, (base, attributes) => observe(base, attributes, role));
  return client;
}

/** Wraps the client's searches so that `observe` hears of each one before it is sent. */
function observeSearches(client: Awaited<ReturnType<typeof openLdap>>, observe: (base: string, attributes: readonly string[]) => void): void {
  const search = client.search.bind(client);
  const searchPaginated = client.searchPaginated.bind(client);
  client.search = (base, options, controls) => {
    observe(String(base), options?.attributes ?? []);
    return search(base, options, controls);
  };
  client.searchPaginated = (base, options, controls) => {
    observe(String(base), options?.attributes ?? []);
    return searchPaginated(base, options, controls);
  };
}
