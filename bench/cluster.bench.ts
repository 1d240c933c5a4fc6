import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { explain, runScimd, startServe, type ServeProcess } from '../test/support/processes';
import { wholeNumber } from './cli';
import { PATCH_OP, SCIM } from './names';

/**
 * `npm run bench:cluster` (scripts/bench-cluster.mjs starts the databases): two scimd replicas,
 * real processes, loaded at the same time with the same SCIM requests, first both on one MariaDB
 * server with the nodes' settings but no Galera (TEST_SINGLE_URL), then each on its own node of a three-node Galera cluster
 * (TEST_CLUSTER_URLS), then both on node 1 of that cluster. Prints requests per second per replica and in all, latency, and every
 * status that was not the expected one (503 = conflict retries ran out). See docs/scaling.md.
 *
 * Options: --seconds N (each measurement, default 10), --connections N (per replica, default 8).
 */
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SEEDED_USERS = 200;
const log = (message: string) => process.stderr.write(`${message}\n`);

interface Scenario {
  readonly key: string;
  readonly what: string;
  readonly expect: number;
  /** The request for one call; `seq` counts this replica's calls. */
  readonly request: (context: ScenarioContext, seq: number) => autocannon.Request;
}

interface ScenarioContext {
  readonly tag: string;
  readonly userIds: readonly string[];
  readonly hotUserId: string;
}

const pick = (ids: readonly string[]): string => ids[Math.floor(Math.random() * ids.length)] as string;

const SCENARIOS: readonly Scenario[] = [
  {
    key: 'get-user', what: 'GET /Users/{id}, a random one of 200', expect: 200,
    request: (context) => ({ method: 'GET', path: `${SCIM}/Users/${pick(context.userIds)}` }),
  },
  {
    key: 'create-user', what: 'POST /Users, a new user each', expect: 201,
    request: (context, seq) => ({
      method: 'POST', path: `${SCIM}/Users`,
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `bench-${context.tag}-${seq}-${randomBytes(4).toString('hex')}@cluster.test` }),
    }),
  },
  {
    key: 'patch-user', what: 'PATCH /Users/{id} (title), a random one of 200', expect: 200,
    request: (context, seq) => ({
      method: 'PATCH', path: `${SCIM}/Users/${pick(context.userIds)}`,
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `t${seq}` }] }),
    }),
  },
  {
    key: 'patch-hot-user', what: 'PATCH of one and the same user by every request (worst case)', expect: 200,
    request: (context, seq) => ({
      method: 'PATCH', path: `${SCIM}/Users/${context.hotUserId}`,
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `h${seq}` }] }),
    }),
  },
];

interface Row {
  readonly topology: string;
  readonly scenario: string;
  readonly perReplica: readonly number[];
  readonly p50: number;
  readonly p99: number;
  readonly unexpected: Record<string, number>;
}

function parseArgs(argv: readonly string[]): { seconds: number; connections: number } {
  return new Command('npm run bench:cluster')
    .usage('-- [options]')
    .description('two scimd replicas loaded at once: on one MariaDB server, on two Galera nodes, both on one node')
    .option('--seconds <N>', 'seconds of each measurement', wholeNumber('seconds'), 10)
    .option('--connections <N>', 'connections per replica', wholeNumber('connections'), 8)
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' })
    .opts<{ seconds: number; connections: number }>();
}

async function prepare(databaseUrl: string): Promise<string> {
  const migrated = await runScimd(['migrate'], { env: { DATABASE_URL: databaseUrl }, timeoutMs: 120_000 });
  if (migrated.code !== 0) throw new Error(`migrate failed: ${explain(migrated)}`);
  const created = await runScimd(['service-account', 'create', `bench-${randomBytes(3).toString('hex')}`, '--role', 'SCIM Provisioning', '--json'],
    { env: { DATABASE_URL: databaseUrl } });
  if (created.code !== 0) throw new Error(`service-account create failed: ${explain(created)}`);
  return (JSON.parse(created.stdout) as { token: string }).token;
}

async function seedUsers(replica: ServeProcess, token: string, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < SEEDED_USERS; i++) {
    const response = await fetch(`${replica.baseUrl}${SCIM}/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `seed-${tag}-${i}@cluster.test` }),
    });
    const body = await response.json() as { id?: string };
    if (response.status !== 201 || !body.id) throw new Error(`seeding failed: ${response.status} ${JSON.stringify(body)}`);
    ids.push(body.id);
  }
  return ids;
}

/** Loads every replica at once with the scenario for `seconds`; one autocannon per replica. */
async function measure(replicas: readonly ServeProcess[], token: string, scenario: Scenario, context: ScenarioContext,
  options: { seconds: number; connections: number }): Promise<Omit<Row, 'topology'>> {
  const results = await Promise.all(replicas.map((replica) => {
    let seq = 0;
    return autocannon({
      url: replica.baseUrl, connections: options.connections, duration: options.seconds, timeout: 30,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
      requests: [{ setupRequest: (request) => ({ ...request, ...scenario.request(context, seq++) }) }],
    });
  }));
  const unexpected: Record<string, number> = {};
  for (const result of results) {
    for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
      if (Number(code) !== scenario.expect) unexpected[code] = (unexpected[code] ?? 0) + (stats.count ?? 0);
    }
    if (result.errors > 0) unexpected.errors = (unexpected.errors ?? 0) + result.errors;
  }
  return {
    scenario: scenario.key,
    perReplica: results.map((result) => result.requests.average),
    p50: Math.max(...results.map((result) => result.latency.p50)),
    p99: Math.max(...results.map((result) => result.latency.p99)),
    unexpected,
  };
}

async function benchTopology(topology: string, databaseUrls: readonly [string, string],
  options: { seconds: number; connections: number }): Promise<Row[]> {
  log(`${topology}: migrating and starting two replicas…`);
  const token = await prepare(databaseUrls[0]);
  const replicas = await Promise.all(databaseUrls.map((url) => startServe({
    env: { DATABASE_URL: url, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn' }, timeoutMs: 60_000,
  })));
  try {
    const tag = randomBytes(3).toString('hex');
    const userIds = await seedUsers(replicas[0] as ServeProcess, token, tag);
    const context: ScenarioContext = { tag, userIds, hotUserId: userIds[0] as string };
    const rows: Row[] = [];
    for (const scenario of SCENARIOS) {
      log(`${topology}: ${scenario.key} for ${options.seconds} s at ${options.connections} connections per replica…`);
      rows.push({ topology, ...await measure(replicas, token, scenario, context, options) });
    }
    return rows;
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop('SIGTERM', 15_000).catch(() => replica.stop('SIGKILL'))));
  }
}

function render(rows: readonly Row[], options: { seconds: number; connections: number }): string {
  const lines = [
    `Two replicas, ${options.connections} connections each, ${options.seconds} s per measurement.`,
    '',
    '| scenario | database | replica 1 req/s | replica 2 req/s | total req/s | p50 ms | p99 ms | other answers |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const scenario of SCENARIOS) {
    for (const row of rows.filter((candidate) => candidate.scenario === scenario.key)) {
      const total = row.perReplica.reduce((sum, value) => sum + value, 0);
      const other = Object.entries(row.unexpected).map(([code, count]) => `${count}× ${code}`).join(', ') || 'none';
      lines.push(`| ${scenario.key} | ${row.topology} | ${row.perReplica.map((value) => value.toFixed(0)).join(' | ')} | ${total.toFixed(0)} `
        + `| ${row.p50} | ${row.p99} | ${other} |`);
    }
  }
  lines.push('', ...SCENARIOS.map((scenario) => `- ${scenario.key}: ${scenario.what}`));
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const single = process.env.TEST_SINGLE_URL;
  const cluster = (process.env.TEST_CLUSTER_URLS ?? '').split(' ').filter((url) => url !== '');
  if (!single || cluster.length < 2) throw new Error('run through `npm run bench:cluster`, which sets TEST_SINGLE_URL and TEST_CLUSTER_URLS');
  const rows = [
    ...await benchTopology('one server', [single, single], options),
    ...await benchTopology('Galera, node 1 and node 2', [cluster[0] as string, cluster[1] as string], options),
    // The single-writer layout: every replica writes through one node, the others stand by.
    ...await benchTopology('Galera, both on node 1', [cluster[0] as string, cluster[0] as string], options),
  ];
  process.stdout.write(`${render(rows, options)}\n`);
}

main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
});
