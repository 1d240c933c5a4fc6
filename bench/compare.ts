import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import mysql from 'mysql2/promise';
import type { BeforeQueryEvent, DataSource, EntitySubscriberInterface } from 'typeorm';
import type { Config } from '../src/config';
import { keyList, sliceOptions } from './cli';
import { costBetween, findDatabasePid, sampleCpu } from './cpu';
import { runLoad, type BenchData, type LoadTarget } from './load';
import { SCIM } from './names';
import { DEFAULT_DATABASE_URL } from './options';
import { resetDatabase, resetMemberships, seed, type SeedResult } from './seed';

/**
 * `node_modules/.bin/tsx bench/compare.ts --a DIR --b DIR [--only a,b] [--slices N] [--slice S] [--users N]`:
 * two checkouts of scimd (e.g. a `git archive` of the base commit and this work tree) started side
 * by side in this one process, on one seeded database, and loaded in alternating slices of a few
 * seconds (A B, B A, A B, …) at 10 connections. On a machine whose other load changes from minute
 * to minute, a comparison made this way sees the same neighbours for both: it prints, per scenario,
 * each checkout's Node (this process's main thread) and MariaDB CPU ms per request and SQL statements
 * per request over all its slices, and the median of the per-slice ratios B/A of the Node CPU.
 * The database of BENCH_DATABASE_URL is dropped and recreated.
 */
interface CompareOptions {
  readonly a: string;
  readonly b: string;
  readonly only: readonly string[] | undefined;
  readonly slices: number;
  readonly slice: number;
  readonly users: number;
  readonly connections: number;
}

interface Variant {
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly dataSource: DataSource;
  readonly counter: StatementCounter;
  stop(): Promise<void>;
}

interface Tally {
  sent: number;
  nodeMs: number;
  dbMs: number;
  statements: number;
  readonly perSliceNode: number[];
}

class StatementCounter implements EntitySubscriberInterface {
  count = 0;
  beforeQuery(_event: BeforeQueryEvent): void {
    this.count += 1;
  }
}

const log = (message: string) => process.stderr.write(`${message}\n`);

function parseArguments(argv: readonly string[]): CompareOptions {
  const command = new Command('node_modules/.bin/tsx bench/compare.ts')
    .description('two checkouts of scimd in this process on one seeded database, loaded in alternating slices; '
      + 'the database of BENCH_DATABASE_URL is dropped and recreated')
    .requiredOption('--a <DIR>', 'checkout A (e.g. a git archive of the base commit)', (dir: string) => path.resolve(dir))
    .requiredOption('--b <DIR>', 'checkout B (e.g. this work tree: .)', (dir: string) => path.resolve(dir))
    .option('--only <LIST>', 'comma-separated scenario keys (default: all)', keyList);
  return sliceOptions(command, { slices: 4, slice: 3 })
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' })
    .opts<CompareOptions>();
}

async function startVariant(name: string, root: string, databaseUrl: string): Promise<Variant> {
  // Each checkout's own modules (same node_modules): two copies of scimd in one process.
  const { startServer } = await import(path.join(root, 'src/server.ts')) as typeof import('../src/server');
  const { createLogger } = await import(path.join(root, 'src/logger.ts')) as typeof import('../src/logger');
  const { ServiceAccounts } = await import(path.join(root, 'src/auth/service-accounts.ts')) as typeof import('../src/auth/service-accounts');
  const { localOperatorContext } = await import(path.join(root, 'src/identity/change-context.ts')) as
    typeof import('../src/identity/change-context');
  const config: Config = {
    host: '127.0.0.1', port: 0, publicUrl: undefined, database: { kind: 'mariadb', url: databaseUrl },
    migrateOnStart: false, logLevel: 'silent', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 5_000,
    governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
  };
  const server = await startServer(config, createLogger('silent'));
  const { token } = await new ServiceAccounts(server.dataSource).create(
    localOperatorContext('bench'), { name: `bench-${name}`, roleNames: ['SCIM Provisioning'] },
  );
  const counter = new StatementCounter();
  server.dataSource.subscribers.push(counter);
  return { name, url: server.url, token, dataSource: server.dataSource, counter, stop: () => server.stop() };
}

interface Scenario {
  readonly key: string;
  readonly label: string;
  readonly target: (variant: Variant) => LoadTarget;
  readonly groupId?: string;
}

function scenarios(seeded: SeedResult): Scenario[] {
  const on = (fields: Omit<LoadTarget, 'url' | 'headers'>) => (variant: Variant): LoadTarget => ({
    url: variant.url, headers: { Authorization: `Bearer ${variant.token}` }, ...fields,
  });
  return [
    { key: 'get-user', label: 'GET /Users/{id}', target: on({ scenario: 'user-by-id' }) },
    { key: 'filter-username', label: 'GET /Users?filter=userName eq', target: on({ scenario: 'user-by-username' }) },
    { key: 'create-user', label: 'POST /Users', target: on({ scenario: 'create-user', method: 'POST', path: `${SCIM}/Users` }) },
    { key: 'patch-user', label: 'PATCH /Users/{id} replace title', target: on({ scenario: 'patch-user-title', method: 'PATCH' }) },
    { key: 'add-member-small', label: 'PATCH /Groups/{10 members} add member', groupId: seeded.smallGroupId,
      target: on({ scenario: 'add-member', method: 'PATCH', groupId: seeded.smallGroupId }) },
  ];
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const databaseUrl = (process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL).replace(/^mariadb:/, 'mysql:');
  log(`resetting ${new URL(databaseUrl).pathname.slice(1)} and seeding ${options.users} users…`);
  await resetDatabase(databaseUrl);
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 4 });
  const temp = mkdtempSync(path.join(os.tmpdir(), 'scimd-compare-'));
  const variants: Variant[] = [];
  try {
    const seeded = await seed(pool, options.users, Math.max(5_000, Math.floor(options.users / 5)));
    const dataFile = path.join(temp, 'data.json');
    writeFileSync(dataFile, JSON.stringify({ ids: seeded.ids, spareIds: seeded.spareIds } satisfies BenchData));
    process.env.SCIMD_BENCH_DATA = dataFile;
    variants.push(await startVariant('A', options.a, databaseUrl), await startVariant('B', options.b, databaseUrl));
    const databasePid = findDatabasePid();
    let spareOffset = 0;
    console.log(`A = ${options.a}\nB = ${options.b}\n${options.slices} slices of ${options.slice} s each, ${options.connections} connections`);
    for (const scenario of scenarios(seeded)) {
      if (options.only && !options.only.includes(scenario.key)) continue;
      const tallies = new Map<string, Tally>(variants.map((v) => [v.name, { sent: 0, nodeMs: 0, dbMs: 0, statements: 0, perSliceNode: [] }]));
      let otherCores = 0;
      const run = async (variant: Variant, seconds: number, tally?: Tally) => {
        if (scenario.groupId) await resetMemberships(pool, seeded);
        variant.counter.count = 0;
        const before = sampleCpu(databasePid);
        const started = Date.now();
        const result = await runLoad({ ...scenario.target(variant), runTag: `${scenario.key}.${variant.name}.${Date.now().toString(36)}`,
          spareOffset }, options.connections, seconds);
        await new Promise((resolve) => setTimeout(resolve, 150));
        spareOffset += result.total + options.connections;
        if (!tally) return;
        const cpu = costBetween(before, sampleCpu(databasePid), result.sent, Date.now() - started);
        tally.sent += result.sent;
        tally.nodeMs += (cpu.serverMsPerRequest ?? 0) * result.sent;
        tally.dbMs += (cpu.databaseMsPerRequest ?? 0) * result.sent;
        tally.statements += variant.counter.count;
        tally.perSliceNode.push(cpu.serverMsPerRequest ?? 0);
        otherCores += (cpu.otherCores ?? 0) / (options.slices * variants.length);
      };
      for (const variant of variants) await run(variant, 1);
      for (let slice = 0; slice < options.slices; slice++) {
        const order = slice % 2 === 0 ? variants : [...variants].reverse();
        for (const variant of order) await run(variant, options.slice, tallies.get(variant.name));
      }
      const [a, b] = variants.map((v) => tallies.get(v.name) as Tally);
      const ratios = (a?.perSliceNode ?? []).map((value, index) => (b?.perSliceNode[index] ?? 0) / value).sort((x, y) => x - y);
      const median = ratios[Math.floor(ratios.length / 2)] ?? NaN;
      const show = (tally: Tally | undefined) => (tally && tally.sent > 0
        ? `node ${(tally.nodeMs / tally.sent).toFixed(3)} db ${(tally.dbMs / tally.sent).toFixed(3)} ms/req, `
          + `${(tally.statements / tally.sent).toFixed(2)} stmts/req (${tally.sent} req)`
        : 'no requests');
      console.log(`${scenario.label}: A ${show(a)} | B ${show(b)} | node B/A median ${median.toFixed(2)} `
        + `[${ratios.map((r) => r.toFixed(2)).join(' ')}], other load ${otherCores.toFixed(2)} cores`);
    }
  } finally {
    for (const variant of variants) await variant.stop();
    await pool.end();
    rmSync(temp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
