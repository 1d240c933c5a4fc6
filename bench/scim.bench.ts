import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { ServiceAccounts } from '../src/auth/service-accounts';
import type { Config } from '../src/config';
import type { LogLevel } from '../src/config';
import { createLogger } from '../src/logger';
import { startServer, type RunningServer } from '../src/server';
import { failed } from './cli';
import { costBetween, findDatabasePid, mainThreadWaitMs, sampleCpu } from './cpu';
import { startFloors, type Floors } from './floors';
import { describeMachine } from './machine';
import { runLoad, type BenchData, type BenchRequest, type LoadTarget } from './load';
import { runOpenLoop } from './open-loop';
import { SCIM } from './names';
import { parseOptions, type BenchOptions } from './options';
import setupRequest from './requests';
import { memberCount, resetDatabase, resetMemberships, seed, type SeedResult } from './seed';
import { FLOOR_KEYS, buildRows, renderTable, type Measurement, type ScenarioSpec } from './table';
import { localOperatorContext } from '../src/identity/change-context';

/**
 * `npm run bench`: seeds MariaDB, starts scimd and three floor servers in this process on loopback,
 * drives every scenario with autocannon at each concurrency, and prints one table with the ratios
 * to the floors and the targets. See docs/benchmarks.md.
 */
interface Scenario extends ScenarioSpec {
  /** The request to load; undefined when the scenario cannot run (spec.unavailable says why). */
  readonly target?: LoadTarget;
  /** The spare-pool group whose real additions are counted (membership PATCHes). */
  readonly groupId?: string;
  readonly expectStatus: number;
}

const PAGE = 100;
/** Issue 10's latency targets at a fixed arrival rate of half the measured maximum (open loop). */
const READ_P99_MS = 10;
const WRITE_P99_MS = 20;
/**
 * The open-loop runs' connection count as recorded (loadtest opens connections as arrivals need
 * them, so there is no fixed number): 0 marks them, beside their arrival rate.
 */
const OPEN_LOOP_CONNECTIONS = 0;
const log = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  log(`scimd bench: ${options.users} users (+${options.spare} spare), ${options.duration} s runs at concurrency `
    + `${options.concurrency.join(', ')}, ${options.warmup} s warm-up`);

  log('resetting and migrating the bench database…');
  await resetDatabase(options.databaseUrl);
  const pool = mysql.createPool({ uri: options.databaseUrl.replace(/^mariadb:/, 'mysql:'), connectionLimit: 4 });
  const temp = mkdtempSync(path.join(os.tmpdir(), 'scimd-bench-'));
  let server: RunningServer | undefined;
  let floors: Floors | undefined;
  try {
    const seeded = await seed(pool, options.users, options.spare);
    log(`seeded ${options.users + options.spare} users and 2 groups in ${seeded.seconds.toFixed(1)} s`);
    log(await describeMachine(pool));
    const jitter = await idleJitter(2);
    log(jitter);
    const dataFile = path.join(temp, 'data.json');
    writeFileSync(dataFile, JSON.stringify({ ids: seeded.ids, spareIds: seeded.spareIds } satisfies BenchData));
    process.env.SCIMD_BENCH_DATA = dataFile;

    const config: Config = {
      host: '127.0.0.1', port: 0, publicUrl: undefined,
      database: { kind: 'mariadb', url: options.databaseUrl.replace(/^mariadb:/, 'mysql:') },
      migrateOnStart: false, logLevel: 'silent', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 5_000,
      governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
      ...(options.principalCacheMs === undefined ? {} : { principalCacheMs: options.principalCacheMs }),
    };
    server = await startServer(config, createLogger((process.env.BENCH_LOG_LEVEL ?? 'silent') as LogLevel));
    const { token } = await new ServiceAccounts(server.dataSource).create(
      localOperatorContext('bench'),
      { name: 'bench', roleNames: ['SCIM Provisioning'] },
    );
    floors = await startFloors(options.databaseUrl);

    const scenarios = await defineScenarios(options, seeded, server.url, floors, token);
    await sanityCheck(scenarios);
    const measurements: Measurement[] = [];
    const floorTarget = (floor: ScenarioSpec['floor']) => scenarios.find((s) => floor !== undefined && s.key === FLOOR_KEYS[floor])?.target;
    for (const scenario of scenarios) {
      if (!scenario.target || !selected(options, scenario.key)) continue;
      measurements.push(...await measure(scenario, scenario.target, options, pool, seeded, floorTarget(scenario.floor)));
    }
    // The floors again, last: a neighbour's load at the start must not flatter the ratios. Each
    // floor row (and the HTTP-floor ratios) uses the faster of its two measurements; the read and
    // write ratios use the floor measured beside each run (measure).
    const floorsAgain: Measurement[] = [];
    for (const scenario of scenarios.filter((s) => s.key.startsWith('floor-') && s.target)) {
      floorsAgain.push(...await measure(scenario, scenario.target as LoadTarget, options, pool, seeded));
    }
    const shown = scenarios.filter((s) => selected(options, s.key));
    const rows = buildRows(shown, fasterFloors(measurements, floorsAgain), options.concurrency);
    const machine = await describeMachine(pool);
    const table = renderTable(rows);
    console.log(`\nscimd benchmark, ${started.toISOString()}: ${options.users} users, ${options.duration} s per run, `
      + `autocannon ${options.concurrency.join('/')} connections (1 worker thread), same process as the servers`);
    console.log(`machine: ${machine}; ${jitter}\n`);
    console.log(table);
    console.log('CPU ms/req: CPU time per request sent, from /proc: "node" is the main thread of this process (where scimd '
      + 'and the floors run; autocannon has its own thread), "db" the MariaDB server. Other load: cores used meanwhile '
      + 'by processes other than these two. Latencies are whole milliseconds as autocannon records them. Rows whose Conc. is a '
      + 'rate (N/s) are open-loop runs (loadtest): requests arrive at N per second, evenly spaced, on as many connections as '
      + 'they need, half the '
      + 'most the scenario managed above, and their p99 is judged against the latency targets.');
    if (options.json) {
      writeFileSync(options.json, JSON.stringify({ date: started.toISOString(), machine, options, seedSeconds: seeded.seconds,
        measurements, floorsAgain, rows }, null, 2));
    }
  } finally {
    await floors?.stop();
    await server?.stop();
    await pool.end();
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Floors always run; the cursor's first page runs with its deep page, which is judged against it. */
function selected(options: BenchOptions, key: string): boolean {
  if (!options.only || key.startsWith('floor-')) return true;
  return options.only.includes(key) || (key === 'list-cursor-first' && options.only.includes('list-cursor'));
}

async function defineScenarios(
  options: BenchOptions, seeded: SeedResult, url: string, floors: Floors, token: string,
): Promise<Scenario[]> {
  const auth = { Authorization: `Bearer ${token}` };
  const scim = (request: BenchRequest): LoadTarget => ({ url, ...request, headers: { ...auth, ...request.headers } });
  const deepIndex = Math.floor(options.users * 0.9) + 1;
  const cursor = await deepCursor(url, auth, deepIndex);
  const users = options.users.toLocaleString('en-US');
  return [
    { key: FLOOR_KEYS.http, label: 'Floor: Koa, fixed 1 KB JSON', target: { url: floors.httpUrl, path: '/' }, expectStatus: 200 },
    { key: FLOOR_KEYS.read, label: 'Floor: Koa + mysql2 SELECT by user_name_key', target: { url: floors.readUrl, scenario: 'floor-read' },
      expectStatus: 200 },
    { key: FLOOR_KEYS.write, label: 'Floor: Koa + mysql2 1-row INSERT',
      target: { url: floors.writeUrl, method: 'POST', path: '/scratch' }, expectStatus: 201 },
    { key: 'get-user', label: 'GET /Users/{id}', floor: 'read', minShareOfFloor: 0.6, openLoopP99Ms: READ_P99_MS,
      target: scim({ scenario: 'user-by-id' }), expectStatus: 200 },
    { key: 'filter-username', label: 'GET /Users?filter=userName eq', floor: 'read', minShareOfFloor: 0.5, openLoopP99Ms: READ_P99_MS,
      target: scim({ scenario: 'user-by-username' }), expectStatus: 200 },
    { key: 'filter-email', label: 'GET /Users?filter=emails[type eq "work"].value eq', floor: 'read', openLoopP99Ms: READ_P99_MS,
      target: scim({ scenario: 'user-by-email' }), expectStatus: 200 },
    { key: 'group-big', label: `GET /Groups/{${users} members}?excludedAttributes=members`, openLoopP99Ms: READ_P99_MS,
      target: scim({ path: `${SCIM}/Groups/${seeded.bigGroupId}?excludedAttributes=members` }), expectStatus: 200 },
    { key: 'group-small', label: 'GET /Groups/{10 members}?excludedAttributes=members', openLoopP99Ms: READ_P99_MS,
      target: scim({ path: `${SCIM}/Groups/${seeded.smallGroupId}?excludedAttributes=members` }), expectStatus: 200 },
    { key: 'list-cursor-first', label: `GET /Users?count=${PAGE}&cursor= (page 1)`,
      target: scim({ path: `${SCIM}/Users?count=${PAGE}&cursor=` }), expectStatus: 200 },
    { key: 'list-offset', label: `GET /Users?startIndex=${deepIndex}&count=${PAGE}`,
      target: scim({ path: `${SCIM}/Users?startIndex=${deepIndex}&count=${PAGE}` }), expectStatus: 200 },
    'cursor' in cursor
      ? { key: 'list-cursor', label: `GET /Users?count=${PAGE}&cursor=(page ${cursor.page})`,
        costVersus: { key: 'list-cursor-first', max: 1.5, label: `cost page ${cursor.page}/page 1` },
        target: scim({ path: `${SCIM}/Users?count=${PAGE}&cursor=${encodeURIComponent(cursor.cursor)}` }), expectStatus: 200 }
      : { key: 'list-cursor', label: `GET /Users?count=${PAGE}&cursor=(deep page)`, unavailable: cursor.unavailable, expectStatus: 200 },
    { key: 'create-user', label: 'POST /Users', floor: 'write', minShareOfFloor: 0.35, openLoopP99Ms: WRITE_P99_MS,
      target: scim({ scenario: 'create-user', method: 'POST', path: `${SCIM}/Users` }), expectStatus: 201 },
    { key: 'patch-user', label: 'PATCH /Users/{id} replace title', floor: 'write', minShareOfFloor: 0.25, openLoopP99Ms: WRITE_P99_MS,
      target: scim({ scenario: 'patch-user-title', method: 'PATCH' }), expectStatus: 200 },
    { key: 'add-member-small', label: 'PATCH /Groups/{10 members} add member', floor: 'write', minShareOfFloor: 0.25,
      openLoopP99Ms: WRITE_P99_MS,
      groupId: seeded.smallGroupId,
      target: scim({ scenario: 'add-member', method: 'PATCH', groupId: seeded.smallGroupId }), expectStatus: 204 },
    { key: 'add-member-big', label: `PATCH /Groups/{${users} members} add member`, floor: 'write', minShareOfFloor: 0.25,
      openLoopP99Ms: WRITE_P99_MS,
      groupId: seeded.bigGroupId,
      costVersus: { key: 'add-member-small', max: 1.2, label: `cost ${users}/10 members` },
      target: scim({ scenario: 'add-member', method: 'PATCH', groupId: seeded.bigGroupId }), expectStatus: 204 },
  ];
}

/**
 * RFC 9865 cursor paging, if this scimd has it: walks from the first page to the one that starts at
 * `startIndex` (the page the startIndex scenario fetches) and returns that page's cursor.
 */
async function deepCursor(
  url: string, auth: Record<string, string>, startIndex: number,
): Promise<{ cursor: string; page: number } | { unavailable: string }> {
  const fetchPage = async (cursor: string) => {
    const response = await fetch(`${url}${SCIM}/Users?count=${PAGE}&cursor=${encodeURIComponent(cursor)}`, { headers: auth });
    const body = await response.json() as { nextCursor?: unknown; Resources?: unknown[] };
    return { status: response.status, next: typeof body.nextCursor === 'string' ? body.nextCursor : undefined };
  };
  const first = await fetchPage('');
  if (first.status !== 200 || first.next === undefined) {
    return { unavailable: `cursor paging not supported by this build (GET /Users?count=${PAGE}&cursor= answered `
      + `${first.status} without nextCursor)` };
  }
  const targetPage = Math.floor((startIndex - 1) / PAGE) + 1;
  log(`walking ${targetPage - 1} cursor pages to page ${targetPage}…`);
  let cursor = first.next;
  for (let page = 2; page < targetPage; page++) {
    const next = await fetchPage(cursor);
    if (next.status !== 200 || next.next === undefined) {
      return { unavailable: `cursor walk stopped at page ${page} (status ${next.status}, no nextCursor)` };
    }
    cursor = next.next;
  }
  return { cursor, page: targetPage };
}

/** One request of each scenario, so that a broken scenario fails loudly instead of timing 4xx answers. */
async function sanityCheck(scenarios: readonly Scenario[]): Promise<void> {
  for (const scenario of scenarios) {
    if (!scenario.target) continue;
    const { url, ...request } = scenario.target;
    const built = request.scenario ? setupRequest({ ...request, runTag: 'check' }) : request;
    const response = await fetch(`${url}${built.path ?? '/'}`, {
      method: built.method ?? 'GET',
      headers: { ...(built.body !== undefined ? { 'Content-Type': 'application/scim+json' } : {}), ...built.headers },
      ...(built.body !== undefined ? { body: built.body } : {}),
    });
    const text = await response.text();
    if (response.status !== scenario.expectStatus) {
      throw new Error(`${scenario.label}: expected ${scenario.expectStatus}, got ${response.status}: ${text.slice(0, 300)}`);
    }
    if (scenario.key.startsWith('filter-') && (JSON.parse(text) as { totalResults?: number }).totalResults !== 1) {
      throw new Error(`${scenario.label}: expected exactly one match: ${text.slice(0, 300)}`);
    }
  }
}

let spareOffset = 0;
const databasePid = findDatabasePid();

/**
 * Seconds of each floor run beside a scenario's closed-loop run (before it and after it): long enough
 * for a steady rate, short against the run itself.
 */
const floorBesideSeconds = (options: BenchOptions): number => Math.max(1, Math.min(3, Math.round(options.duration / 3)));

/**
 * `floorTarget`: the scenario's floor (read or write). Each closed-loop run of the scenario then has
 * that floor measured just before and just after it at the same connections, and its ratio is taken
 * against those: on a virtual machine whose speed drifts by a third within a run (docs/benchmarks.md,
 * "Fourteenth run"), a floor measured minutes away says little about the moment of the run.
 */
async function measure(
  scenario: Scenario, target: LoadTarget, options: BenchOptions, pool: mysql.Pool, seeded: SeedResult, floorTarget?: LoadTarget,
): Promise<Measurement[]> {
  const tag = () => `${scenario.key}.${Date.now().toString(36)}`;
  const run = async (connections: number, seconds: number, arrivalRate?: number) => {
    await settle(pool);
    if (scenario.groupId) await resetMemberships(pool, seeded);
    const before = scenario.groupId ? await memberCount(pool, scenario.groupId) : 0;
    const cpuBefore = sampleCpu(databasePid);
    const started = Date.now();
    // The server thread's stalls during an open-loop run: a tail that they do not explain came from outside it.
    const stalls = arrivalRate === undefined ? undefined : monitorEventLoopDelay({ resolution: STALL_RESOLUTION_MS });
    stalls?.enable();
    const waitedBefore = mainThreadWaitMs();
    const result = arrivalRate === undefined
      ? await runLoad({ ...target, runTag: tag(), spareOffset }, connections, seconds)
      : await runOpenLoop({ ...target, runTag: tag(), spareOffset }, arrivalRate, seconds, Math.max(1, options.warmup));
    stalls?.disable();
    const waited = waitedBefore === undefined ? undefined : (mainThreadWaitMs() ?? waitedBefore) - waitedBefore;
    const runMs = Date.now() - started;
    // Requests still in flight when autocannon stops finish on the server: let them, before
    // counting, and before the next run measures anything.
    await settle(pool);
    const cpu = costBetween(cpuBefore, sampleCpu(databasePid), result.sent, Date.now() - started);
    spareOffset += result.total + connections;
    const notes: string[] = [];
    if (stalls) notes.push(eventLoopNote(stalls, waited === undefined ? undefined : waited / (runMs / 1000)));
    if (scenario.groupId) {
      const added = (await memberCount(pool, scenario.groupId)) - before;
      const answered = result.statusCodes['204'] ?? 0;
      if (added < answered) {
        notes.push(`only ${added} of ${answered} PATCHes added a member: the spare pool (${seeded.spareIds.length}) ran out; `
          + 'raise --spare');
      }
    }
    return { result, cpu, notes };
  };
  if (options.warmup > 0) {
    log(`${scenario.label}: warm-up ${options.warmup} s`);
    await run(options.concurrency[0] ?? 10, options.warmup);
  }
  const floorRun = async (connections: number): Promise<number> => {
    await settle(pool);
    const { rps } = await runLoad({ ...(floorTarget as LoadTarget), runTag: tag() }, connections, floorBesideSeconds(options));
    return rps;
  };
  const measured: Measurement[] = [];
  for (const connections of options.concurrency) {
    const floorBefore = floorTarget ? await floorRun(connections) : undefined;
    const { result, cpu, notes } = await run(connections, options.duration);
    const floorBeside = floorBefore === undefined ? undefined : [floorBefore, await floorRun(connections)];
    log(`${scenario.label} c=${connections}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, `
      + `CPU/req node ${cpu.serverMsPerRequest?.toFixed(2) ?? '?'} ms db ${cpu.databaseMsPerRequest?.toFixed(2) ?? '?'} ms, `
      + `other load ${cpu.otherCores?.toFixed(2) ?? '?'} cores`
      + `${result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx, ${result.errors} errors` : ''}`
      + `${floorBeside ? `; ${scenario.floor} floor before / after ${floorBeside.map((rps) => rps.toFixed(0)).join(' / ')} req/s` : ''}`);
    measured.push({
      key: scenario.key, concurrency: connections, result, cpu, ...(notes.length > 0 ? { notes } : {}), ...(floorBeside ? { floorBeside } : {}),
    });
  }
  if (scenario.openLoopP99Ms !== undefined && measured.length > 0) {
    // Latency below saturation: arrivals at half the most this scenario managed in the closed runs.
    const rate = Math.max(1, Math.floor(Math.max(...measured.map((m) => m.result.rps)) / 2));
    const { result, cpu, notes } = await run(OPEN_LOOP_CONNECTIONS, options.duration, rate);
    log(`${scenario.label} open loop at ${rate}/s: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, `
      + `CPU/req node ${cpu.serverMsPerRequest?.toFixed(2) ?? '?'} ms db ${cpu.databaseMsPerRequest?.toFixed(2) ?? '?'} ms`);
    measured.push({
      key: scenario.key, concurrency: OPEN_LOOP_CONNECTIONS, arrivalRate: rate, result, cpu, ...(notes.length > 0 ? { notes } : {}),
    });
  }
  if (scenario.groupId) await resetMemberships(pool, seeded);
  return measured;
}

/** How often the event-loop delay is sampled (perf_hooks records each whole interval, this included). */
const STALL_RESOLUTION_MS = 5;

/** A delay histogram's p99 and max beyond its sampling interval, in ms. */
function lateness(stalls: IntervalHistogram): string {
  const late = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - STALL_RESOLUTION_MS).toFixed(0);
  return `p99 ${late(stalls.percentile(99))} ms, max ${late(stalls.max)} ms`;
}

/**
 * The server thread's event-loop delay over an open-loop run (warm-up included), and how long it
 * waited for a core (ms per second of the run), as a row note.
 */
function eventLoopNote(stalls: IntervalHistogram, waitedMsPerSecond: number | undefined): string {
  return `event loop of the server thread (scimd and the floors) during the run: late by ${lateness(stalls)}`
    + `${waitedMsPerSecond === undefined ? '' : `; the thread waited for a core ${waitedMsPerSecond.toFixed(0)} ms per second`}`;
}

/**
 * How late this thread's timers fire when it has nothing to do, over `seconds`: the machine's own
 * scheduling jitter, which every latency of the run includes (on the 2-core virtual machine of
 * docs/benchmarks.md a few milliseconds at p99 with no load at all).
 */
async function idleJitter(seconds: number): Promise<string> {
  const stalls = monitorEventLoopDelay({ resolution: STALL_RESOLUTION_MS });
  stalls.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  stalls.disable();
  return `an idle thread's timers late by ${lateness(stalls)} (${seconds} s, before the load)`;
}

/** Each floor measurement replaced by its second one when that was faster, with a note saying which. */
function fasterFloors(first: readonly Measurement[], again: readonly Measurement[]): Measurement[] {
  return first.map((m) => {
    const other = again.find((a) => a.key === m.key && a.concurrency === m.concurrency);
    if (!other) return m;
    const [best, rest] = other.result.rps > m.result.rps ? [other, m] : [m, other];
    const note = `best of two floor runs (before and after the scimd scenarios); the other gave ${rest.result.rps.toFixed(0)} req/s`;
    return { ...best, notes: [...(best.notes ?? []), note] };
  });
}

/** Waits (boundedly) until no query of the bench database is running: the last run's stragglers are done. */
async function settle(pool: mysql.Pool): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const [rows] = await pool.query(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND COMMAND = 'Query' AND ID <> CONNECTION_ID()");
    if (Number((rows as { n: number | string }[])[0]?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

main().catch(failed);
