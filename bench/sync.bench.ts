import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SyncConfig } from '../src/config';
import type { LdapConnectionConfig } from '../sync/ldap/connection';
import { loadMapping, userAttributesToRead } from '../sync/mapping';
import { failed } from './cli';
import { findDatabasePid } from './sync/cpu';
import { describeDatabase, resetDatabase, tableCounts } from './sync/database';
import { benchDirectory, defaultCacheRoot } from './sync/directory';
import { ldapsearchRead, ldaptsRead, type ReadSpec } from './sync/floor';
import { parseOptions, type SyncBenchOptions } from './sync/options';
import { changeTitles, layoutOf, mappingOf } from './sync/populate';
import {
  deltaMedian, fastestRead, FLOOR_LABEL, fullMedian, fullRunFigures, renderFloors, renderRuns, renderStages, renderSummary,
  type FloorRead, type FullRun, type NFigures, type SyncRun,
} from './sync/report';
import { runSyncProcess, startPhase } from './sync/runner';
import { dcProcesses, type BenchDc } from './sync/samba';

/**
 * `npm run bench:sync`: a throw-away Samba AD DC on loopback with N users (loaded with ldbadd before it
 * serves, or restored from the cache), a fresh MariaDB database, and the sync's full and delta runs timed against
 * the floor of reading the same users from the DC. See docs/benchmarks-sync.md.
 */
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};
const USER_FILTER = '(&(objectCategory=person)(objectClass=user))';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  const code = codeFingerprint();
  log(`code under test: ${code}`);
  const cacheRoot = options.cache ? defaultCacheRoot() : undefined;
  const all: NFigures[] = [];
  for (const users of options.users) all.push(await benchOne(users, options, cacheRoot));

  const deltaAt20k = (figures: NFigures) => {
    const here = all.find((f) => f.users === 20_000);
    if (here) return { seconds: here.delta.result.seconds, from: 'this run' };
    const saved = cacheRoot === undefined ? undefined : savedFigures(cacheRoot, 20_000);
    return saved && figures.users !== 20_000 ? { seconds: saved.figures.delta.result.seconds, from: `run of ${saved.date}` } : undefined;
  };
  const machine = describeMachine(await describeDatabase(options.databaseUrl));
  console.log(`\nscimd AD sync benchmark, ${started.toISOString()}`);
  console.log(`machine: ${machine}`);
  const codeAtEnd = codeFingerprint();
  console.log(`code under test: ${code}`);
  if (codeAtEnd !== code) console.log(`WARNING: the code changed during the run; at the end: ${codeAtEnd}`);
  console.log('');
  console.log(renderSummary(all, deltaAt20k));
  for (const f of all) {
    const d = f.directory;
    console.log(`${f.users.toLocaleString('en-US')} users: ${d.source === 'cache'
      ? `directory restored from the cache in ${d.readySeconds.toFixed(1)} s (populating it took ${d.populateSeconds.toFixed(0)} s)`
      : `directory populated in ${d.populateSeconds.toFixed(0)} s (${(f.users / d.populateSeconds).toFixed(0)} users/s), ready in ${d.readySeconds.toFixed(0)} s`}`
      + `${cacheRoot === undefined ? '' : `; cache: ${cacheRoot}`}`);
  }
  console.log('\nFull users/s: users created by the first full run ÷ its wall time (runSync: read, plan, apply, report). '
    + `Raw read: the fastest ${FLOOR_LABEL} read (page 1000) of the same users and attributes between the full run before it `
    + '(or the start) and the read just after it. With --full-runs, the run of median ratio (its range beside it). Peak RSS: '
    + 'VmHWM of the process that ran the full sync (node + tsx + TypeORM included; the highest of the first full runs).\n');
  console.log(renderRuns(all));
  console.log('\nStages from runSync\'s progress callbacks. CPU s: seconds of CPU in the sync process, MariaDB and Samba during '
    + 'the run; other load: cores busy with anything else meanwhile. RSS: at start, then the highest sampled (100 ms) in each stage.\n');
  console.log(renderStages(all));
  console.log('');
  console.log(renderFloors(all));
  if (options.json) writeFileSync(options.json, JSON.stringify({ date: started.toISOString(), machine, code, options, figures: all }, null, 2));
}

async function benchOne(users: number, options: SyncBenchOptions, cacheRoot: string | undefined): Promise<NFigures> {
  log(`\n=== ${users.toLocaleString('en-US')} users ===`);
  const directory = await benchDirectory(users, cacheRoot, log);
  const dc = directory.dc;
  const temp = mkdtempSync(path.join(os.tmpdir(), 'scimd-bench-sync-'));
  // Ctrl-C: stop the DC this run started and remove its folder before leaving.
  const interrupted = (): void => {
    log('interrupted: stopping the DC…');
    rmSync(temp, { recursive: true, force: true });
    void stop(dc).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  try {
    log(`directory ready in ${directory.readySeconds.toFixed(1)} s (${directory.source}); resetting the database…`);
    await resetDatabase(options.databaseUrl);
    const layout = layoutOf(dc.baseDn);
    const mappingFile = path.join(temp, 'mapping.json');
    const mappingText = mappingOf(layout);
    writeFileSync(mappingFile, mappingText);
    const config: SyncConfig = {
      ldap: {
        url: dc.url, bindDn: dc.bindDn, bindPassword: dc.bindPassword, caFile: dc.caFile, tlsServerName: dc.servername,
        startTls: false, allowPlain: false,
      },
      baseDns: [layout.peopleOu], userFilter: USER_FILTER, groupFilter: '(objectClass=group)', mappingFile,
      deleteThreshold: 500, deleteThresholdPercent: 10, deletePolicy: 'deactivate', softMatchByUserName: false, schedulerEnabled: false,
    };
    const connection: LdapConnectionConfig = {
      url: dc.url, bindDn: dc.bindDn, bindPassword: dc.bindPassword, caFile: dc.caFile, servername: dc.servername,
    };
    // The request readUsers makes: objectGUID, uSNChanged and the mapped attributes.
    const attributes = ['objectGUID', 'uSNChanged', ...userAttributesToRead(loadMapping(mappingText)).filter((a) => a !== 'usnchanged')];
    const spec: ReadSpec = { baseDn: layout.peopleOu, filter: USER_FILTER, attributes };
    const passwordFile = path.join(temp, 'bind-password');
    writeFileSync(passwordFile, dc.bindPassword, { mode: 0o600 });
    const databasePid = findDatabasePid();

    const floors: FloorRead[] = [];
    const floor = async (label: string, pageSize: number, read: () => Promise<{ entries: number; seconds: number }>): Promise<void> => {
      const end = startPhase(databasePid, dcProcesses(dc));
      try {
        const result = await read();
        floors.push({ label, pageSize, result, cpu: end() });
        log(`  ${label} (page ${pageSize}): ${result.entries} entries in ${result.seconds.toFixed(2)} s `
          + `(${(result.entries / result.seconds).toFixed(0)}/s)`);
        if (result.entries !== users) log(`  WARNING: expected ${users} entries`);
      } catch (error) {
        floors.push({ label, pageSize, error: error instanceof Error ? error.message : String(error) });
        log(`  ${label} failed: ${String(error)}`);
      }
    };
    log('floor reads…');
    await floor(FLOOR_LABEL, 1000, () => ldaptsRead(connection, spec, 1000));
    await floor(FLOOR_LABEL, 1000, () => ldaptsRead(connection, spec, 1000));
    await floor(`${FLOOR_LABEL} (the sync's page size)`, 500, () => ldaptsRead(connection, spec, 500));
    await floor('ldapsearch', 1000, () => ldapsearchRead({ ...connection, passwordFile }, spec, 1000));

    const sync = async (label: string, mode: 'full' | 'delta'): Promise<SyncRun> => {
      log(`${label}…`);
      const end = startPhase(databasePid, dcProcesses(dc));
      const result = await runSyncProcess({ databaseUrl: options.databaseUrl, config, mode, liveHeap: options.liveHeap }, {
        log, nodeFlags: options.nodeFlags, ...(options.cpuProf ? { cpuProf: path.resolve(options.cpuProf) } : {}),
      });
      const cpu = end(result.cpuSeconds);
      const c = result.counters;
      log(`  ${result.status} in ${result.seconds.toFixed(2)} s: created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}, `
        + `member adds ${c.memberAdds}, errors ${c.errors}; VmHWM ${result.vmHwmMiB?.toFixed(0)} MiB`
        + (result.message ? ` (${result.message})` : ''));
      if (result.status !== 'succeeded') throw new Error(`the ${label} did not succeed: ${result.status} ${result.message ?? ''}`);
      return { result, cpu };
    };
    if (options.cpuProf) mkdirSync(options.cpuProf, { recursive: true });
    // Each first full run between raw reads: judged against the fastest read since the run before it
    // and the one just after it, so that a machine that slows or speeds up within the bench moves both.
    const fullRuns: FullRun[] = [];
    let readsFrom = 0;
    for (let round = 1; round <= options.fullRuns; round += 1) {
      if (round > 1) {
        log('resetting the database for the next first full run…');
        await resetDatabase(options.databaseUrl);
      }
      const run = await sync(options.fullRuns > 1 ? `full sync (${round} of ${options.fullRuns})` : 'full sync', 'full');
      if (run.result.counters.created !== users) log(`  WARNING: expected ${users} users created`);
      await floor(FLOOR_LABEL, 1000, () => ldaptsRead(connection, spec, 1000));
      fullRuns.push({ run, raw: fastestRead(floors.slice(readsFrom)) });
      readsFrom = floors.length - 1; // the read after this run is also the one before the next
    }
    const full = fullMedian(fullRuns);
    const rows = await tableCounts(options.databaseUrl);
    const rerun = options.rerun ? await sync('full sync again (nothing changed)', 'full') : undefined;

    const deltas: SyncRun[] = [];
    let changes = 0;
    for (let round = 1; round <= options.deltaRuns; round += 1) {
      log(`changing the title of ${options.changes} users in AD (delta ${round} of ${options.deltaRuns})…`);
      const changed = await changeTitles(users, dc.baseDn, options.changes, `Changed ${Date.now().toString(36)} ${round}`);
      const run = await sync(`delta sync (${changed.length} changed)`, 'delta');
      if (run.result.counters.updated !== changed.length) log(`  WARNING: expected ${changed.length} users updated`);
      deltas.push(run);
      changes = changed.length;
    }
    const delta = deltaMedian(deltas);

    const figures: NFigures = {
      users, directory: { source: directory.source, populateSeconds: directory.populateSeconds, readySeconds: directory.readySeconds },
      floors, full: full.run, ...(full.raw ? { fullRaw: full.raw } : {}), fullRuns: fullRunFigures(fullRuns), ...(rerun ? { rerun } : {}),
      changes, delta, deltaSeconds: deltas.map((run) => run.result.seconds), rows,
    };
    if (cacheRoot !== undefined) saveFigures(cacheRoot, figures);
    return figures;
  } finally {
    process.removeListener('SIGINT', interrupted);
    rmSync(temp, { recursive: true, force: true });
    await stop(dc);
  }
}

async function stop(dc: BenchDc): Promise<void> {
  await dc.cleanup().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
}

/** The last figures at N, kept beside the cache so that a 100k run can compare its delta with a 20k one. */
function saveFigures(cacheRoot: string, figures: NFigures): void {
  mkdirSync(cacheRoot, { recursive: true });
  writeFileSync(path.join(cacheRoot, `results-${figures.users}.json`), JSON.stringify({ date: new Date().toISOString(), figures }));
}

function savedFigures(cacheRoot: string, users: number): { date: string; figures: NFigures } | undefined {
  const file = path.join(cacheRoot, `results-${users}.json`);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { date: string; figures: NFigures };
  } catch {
    return undefined;
  }
}

/**
 * Which version of the sync the figures belong to (the code may change between two runs): a hash of
 * the TypeScript under sync/, src/identity/, src/governance/ and src/db/, and the newest file's time.
 */
function codeFingerprint(): string {
  const root = path.resolve(__dirname, '..');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) files.push(full);
    }
  };
  for (const dir of ['sync', 'src/identity', 'src/governance', 'src/db']) walk(path.join(root, dir));
  const hash = createHash('sha256');
  let newest = 0;
  for (const file of files) {
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
    newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return `sha256 ${hash.digest('hex').slice(0, 12)} of ${files.length} files in sync/, src/identity/, src/governance/, src/db/ `
    + `(newest modified ${new Date(newest).toISOString()})`;
}

function describeMachine(database: string): string {
  const version = (command: string, args: string[]): string => {
    try {
      return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim() ?? '';
    } catch {
      return 'unknown';
    }
  };
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.availableParallelism()} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, `
    + `${database}, Samba ${version('samba', ['--version']).replace(/^Version\s+/, '')}`;
}

main().catch(failed);
