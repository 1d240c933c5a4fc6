import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import mysql from 'mysql2/promise';
import type { BeforeQueryEvent, EntitySubscriberInterface } from 'typeorm';
import { ServiceAccounts } from '../src/auth/service-accounts';
import type { Config } from '../src/config';
import { localOperatorContext } from '../src/identity/change-context';
import { createLogger } from '../src/logger';
import { startServer, type RunningServer } from '../src/server';
import { keyList, wholeNumber } from './cli';
import { costBetween, findDatabasePid, sampleCpu } from './cpu';
import { runLoad, type BenchData, type LoadTarget } from './load';
import { SCIM } from './names';
import { DEFAULT_DATABASE_URL } from './options';
import { resetDatabase, resetMemberships, seed, type SeedResult } from './seed';

/**
 * `node_modules/.bin/tsx bench/profile.ts [--users N] [--duration S] [--only a,b] [--out DIR] [--top N]`:
 * where scimd's thread spends its CPU on each hot SCIM request, on a warm server. Per scenario it
 * runs a warm-up, one unprofiled closed-loop run at 10 connections (Node and MariaDB CPU ms per
 * request, SQL statements per request, counted by a TypeORM subscriber), then one run under the
 * V8 sampling profiler, and prints the profile's self time grouped by area (a package, or a folder
 * of this repository) and its top functions. The `.cpuprofile` files are kept in --out (they open
 * in Chrome DevTools). The profiler slows the run, so the CPU figures come from the unprofiled run.
 * The database of BENCH_DATABASE_URL is dropped and recreated.
 */
interface ProfileOptions {
  readonly users: number;
  readonly duration: number;
  readonly only: readonly string[] | undefined;
  readonly out: string | undefined;
  readonly top: number;
  readonly connections: number;
}

interface ProfiledScenario {
  readonly key: string;
  readonly label: string;
  readonly target: LoadTarget;
  readonly groupId?: string;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function parseArguments(argv: readonly string[]): ProfileOptions {
  return new Command('node_modules/.bin/tsx bench/profile.ts')
    .description('where scimd\'s thread spends its CPU on each hot SCIM request (V8 sampling profiler, by area); '
      + 'the database of BENCH_DATABASE_URL is dropped and recreated')
    .option('--users <N>', 'users to seed', wholeNumber('users'), 10_000)
    .option('--duration <S>', 'seconds of each measured and each profiled run', wholeNumber('duration'), 5)
    .option('--only <LIST>', 'comma-separated scenario keys (default: all)', keyList)
    .option('--out <DIR>', 'keep the .cpuprofile files in DIR (default: a temporary folder, removed)')
    .option('--top <N>', 'functions listed by self time', wholeNumber('top'), 25)
    .option('--connections <N>', 'connections of the load', wholeNumber('connections'), 10)
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' })
    .opts<ProfileOptions>();
}

class StatementCounter implements EntitySubscriberInterface {
  count = 0;
  beforeQuery(_event: BeforeQueryEvent): void {
    this.count += 1;
  }
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const databaseUrl = (process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL).replace(/^mariadb:/, 'mysql:');
  log(`resetting ${new URL(databaseUrl).pathname.slice(1)} and seeding ${options.users} users…`);
  await resetDatabase(databaseUrl);
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 4 });
  const temp = mkdtempSync(path.join(os.tmpdir(), 'scimd-profile-'));
  const out = options.out ?? temp;
  mkdirSync(out, { recursive: true });
  let server: RunningServer | undefined;
  const session = new Session();
  session.connect();
  try {
    const seeded = await seed(pool, options.users, Math.max(5_000, Math.floor(options.users / 5)));
    const dataFile = path.join(temp, 'data.json');
    writeFileSync(dataFile, JSON.stringify({ ids: seeded.ids, spareIds: seeded.spareIds } satisfies BenchData));
    process.env.SCIMD_BENCH_DATA = dataFile;
    const config: Config = {
      host: '127.0.0.1', port: 0, publicUrl: undefined, database: { kind: 'mariadb', url: databaseUrl },
      migrateOnStart: false, logLevel: 'silent', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 5_000,
      governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
    };
    server = await startServer(config, createLogger('silent'));
    const { token } = await new ServiceAccounts(server.dataSource).create(
      localOperatorContext('bench'), { name: 'bench', roleNames: ['SCIM Provisioning'] },
    );
    const counter = new StatementCounter();
    server.dataSource.subscribers.push(counter);
    const databasePid = findDatabasePid();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    let spareOffset = 0;
    for (const scenario of scenarios(server.url, token, seeded)) {
      if (options.only && !options.only.includes(scenario.key)) continue;
      const run = async (seconds: number) => {
        if (scenario.groupId) await resetMemberships(pool, seeded);
        const target = { ...scenario.target, runTag: `${scenario.key}.${Date.now().toString(36)}`, spareOffset };
        const result = await runLoad(target, options.connections, seconds);
        spareOffset += result.total + options.connections;
        return result;
      };
      await run(2);
      counter.count = 0;
      const questionsBefore = await questions(pool);
      const before = sampleCpu(databasePid);
      const started = Date.now();
      const result = await run(options.duration);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const cpu = costBetween(before, sampleCpu(databasePid), result.sent, Date.now() - started);
      const statements = counter.count / result.sent;
      // Every statement the server received, the pool's pings and session settings included (less this count's own two).
      const received = (await questions(pool) - questionsBefore - 1) / result.sent;
      console.log(`\n## ${scenario.label}: ${result.rps.toFixed(0)} req/s, node ${cpu.serverMsPerRequest?.toFixed(3) ?? '?'} ms/req, `
        + `db ${cpu.databaseMsPerRequest?.toFixed(3) ?? '?'} ms/req, ${statements.toFixed(2)} statements/req (`
        + `${received.toFixed(2)} received by MariaDB), `
        + `other load ${cpu.otherCores?.toFixed(2) ?? '?'} cores${result.non2xx + result.errors > 0 ? `, ${result.non2xx} non-2xx` : ''}`);

      await session.post('Profiler.start');
      const profiled = await run(options.duration);
      const { profile } = await session.post('Profiler.stop');
      const file = path.join(out, `${scenario.key}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(summarise(profile as CpuProfile, profiled.total, options.top));
    }
    if (options.out) log(`profiles in ${options.out}`);
  } finally {
    session.disconnect();
    await server?.stop();
    await pool.end();
    rmSync(temp, { recursive: true, force: true });
  }
}

/** MariaDB's count of statements received from every client since it started. */
async function questions(pool: mysql.Pool): Promise<number> {
  const [rows] = await pool.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number((rows as { Value: string }[])[0]?.Value ?? 0);
}

function scenarios(url: string, token: string, seeded: SeedResult): ProfiledScenario[] {
  const headers = { Authorization: `Bearer ${token}` };
  const target = (fields: Omit<LoadTarget, 'url' | 'headers'>): LoadTarget => ({ url, headers, ...fields });
  return [
    { key: 'get-user', label: 'GET /Users/{id}', target: target({ scenario: 'user-by-id' }) },
    { key: 'filter-username', label: 'GET /Users?filter=userName eq', target: target({ scenario: 'user-by-username' }) },
    { key: 'create-user', label: 'POST /Users', target: target({ scenario: 'create-user', method: 'POST', path: `${SCIM}/Users` }) },
    { key: 'patch-user', label: 'PATCH /Users/{id} replace title', target: target({ scenario: 'patch-user-title', method: 'PATCH' }) },
    { key: 'add-member-small', label: 'PATCH /Groups/{10 members} add member', groupId: seeded.smallGroupId,
      target: target({ scenario: 'add-member', method: 'PATCH', groupId: seeded.smallGroupId }) },
  ];
}

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time by area and by function, in microseconds per request, and inclusive time of the areas' entry points. */
function summarise(profile: CpuProfile, requests: number, top: number): string {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((node, index) => selfUs.set(node, (selfUs.get(node) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    if (area === '(idle)') continue;
    busy += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const perRequest = (us: number) => (us / requests / 1000).toFixed(3);
  const lines = [`profiled: ${requests} requests, ${perRequest(busy)} ms busy per request (profiler overhead included)`,
    'self time by area (ms/req, share):'];
  for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${perRequest(us).padStart(7)}  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${area}`);
  }
  lines.push(`top ${top} functions by self time:`);
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${perRequest(us).padStart(7)}  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
  return lines.join('\n');
}

const ROOT = path.resolve(__dirname, '..');

function shortUrl(url: string): string {
  const file = url.startsWith('file://') ? url.slice('file://'.length) : url;
  return file.startsWith(ROOT) ? path.relative(ROOT, file) : file;
}

/** A package under node_modules, a folder of this repository, node's internals, or the VM's own entries. */
function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    return functionName.startsWith('(') ? functionName : '(native)';
  }
  const file = shortUrl(url);
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (module?.[1]) return module[1];
  if (file.startsWith('node:')) return `node:${file.slice(5).split('/')[1] ?? file.slice(5)}`;
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0] ?? file;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
