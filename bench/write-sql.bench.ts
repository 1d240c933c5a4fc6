import { randomUUID } from 'node:crypto';
import mysql, { type Pool } from 'mysql2/promise';
import type { BeforeQueryEvent, EntitySubscriberInterface } from 'typeorm';
import { ServiceAccounts } from '../src/auth/service-accounts';
import type { Config } from '../src/config';
import { openDataSource } from '../src/db/data-source';
import { sealAuditEvents, settleAuditSeals } from '../src/governance/audit-seal';
import { localOperatorContext } from '../src/identity/change-context';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';
import { failed } from './cli';
import { findDatabasePid, processCpuMs } from './cpu';
import { SCIM, USER_SCHEMA } from './names';
import { resetDatabase, SCRATCH_TABLE, seed } from './seed';
import { parseWriteSqlOptions, type WriteSqlOptions } from './write-sql-options';

/**
 * `node_modules/.bin/tsx bench/write-sql.bench.ts [--users N] [--slices N] [--slice S] [--connections N]`:
 * the most a POST /Users could reach against the write floor if scimd's own work cost nothing.
 * scimd serves one POST; the statements it sent MariaDB are kept (on MariaDB a POST is one
 * multi-statement query: START TRANSACTION, the user, its indexed values, its audit row, COMMIT) and
 * replayed from a bare mysql2 pool with a new id and name each time, in slices that alternate with
 * the write floor's one-row INSERT sent from the same pool. Prints each side's rate and MariaDB CPU
 * per request, their ratio, and what sealing the replayed audit events costs afterwards (the
 * server seals them after the commit, apart from the request). docs/benchmarks.md, "Thirteenth run".
 */

/** Stands for the replay's running number in the captured POST's userName and email. */
const MARK = 'zq7replaymark';

class Capture implements EntitySubscriberInterface {
  readonly statements: string[] = [];
  beforeQuery(event: BeforeQueryEvent): void {
    // Parameters are formatted as mysql2 formats them; a batched query arrives formatted already.
    this.statements.push(event.parameters?.length ? mysql.format(event.query, event.parameters) : event.query);
  }
}

interface Side {
  readonly name: string;
  readonly send: (pool: Pool) => Promise<unknown>;
  requests: number;
  ms: number;
  databaseMs: number;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function main(): Promise<void> {
  const options = parseWriteSqlOptions(process.argv.slice(2));
  await resetDatabase(options.databaseUrl);
  const url = options.databaseUrl.replace(/^mariadb:/, 'mysql:');
  const pool = mysql.createPool({ uri: url, connectionLimit: options.connections, multipleStatements: true });
  try {
    log(`seeding ${options.users} users…`);
    await seed(pool, options.users, 0);
    const { statements, userId } = await capturePost(url);
    log(`captured POST /Users: ${statements.length} quer${statements.length === 1 ? 'y' : 'ies'}, `
      + `${statements.reduce((sum, text) => sum + text.split(';\n').length, 0)} statements`);
    const replay = replayOf(statements, userId);
    let written = 0;
    const sides: Side[] = [
      {
        name: 'write floor: one-row INSERT', requests: 0, ms: 0, databaseMs: 0,
        send: (target) => target.query(`INSERT INTO ${SCRATCH_TABLE} (name, created_at) VALUES (?, ?)`,
          [`row ${++written}`, new Date().toISOString()]),
      },
      { name: 'POST /Users statements', requests: 0, ms: 0, databaseMs: 0, send: replay },
    ];
    await measure(pool, sides, options);
    const [floor, post] = sides as [Side, Side];
    for (const side of sides) {
      log(`${side.name.padEnd(30)} ${rate(side).toFixed(0).padStart(6)} per second, MariaDB ${perRequest(side)} ms each`);
    }
    log(`POST's statements alone: ${((100 * rate(post)) / rate(floor)).toFixed(0)}% of the write floor `
      + `(${options.connections} connections, ${options.slices} alternating slices of ${options.slice} s each side)`);
    await measureSeal(url, post.requests);
  } finally {
    await pool.end();
  }
}

/** Serves one POST /Users on a scimd of the bench database and keeps the statements it sent. */
async function capturePost(url: string): Promise<{ statements: string[]; userId: string }> {
  const config: Config = {
    host: '127.0.0.1', port: 0, publicUrl: undefined, database: { kind: 'mariadb', url },
    migrateOnStart: false, logLevel: 'silent', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 5_000,
    governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
  };
  const server = await startServer(config, createLogger('silent'));
  try {
    const { token } = await new ServiceAccounts(server.dataSource).create(
      localOperatorContext('bench'), { name: 'bench', roleNames: ['SCIM Provisioning'] },
    );
    const post = async (name: string): Promise<string> => {
      const response = await fetch(`${server.url}${SCIM}/Users`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
        // The bench's POST body (bench/requests.ts), with the mark where the number goes.
        body: JSON.stringify({
          schemas: [USER_SCHEMA], userName: `bench.post.${name}@example.com`, name: { givenName: 'Post', familyName: `User ${name}` },
          displayName: `Post User ${name}`, title: 'Engineer',
          emails: [{ value: `post.${name}@corp.example.com`, type: 'work', primary: true }],
        }),
      });
      if (response.status !== 201) throw new Error(`POST /Users: ${response.status} ${await response.text()}`);
      return (await response.json() as { id: string }).id;
    };
    await post('warm-up'); // the principal is then remembered: the captured POST reads nothing to authenticate
    await settleAuditSeals(server.dataSource);
    const capture = new Capture();
    server.dataSource.subscribers.push(capture);
    const userId = await post(MARK);
    server.dataSource.subscribers.splice(server.dataSource.subscribers.indexOf(capture), 1);
    await settleAuditSeals(server.dataSource);
    return { statements: capture.statements, userId };
  } finally {
    await server.stop();
  }
}

/** The captured POST again, as a new user: a new id and number wherever the captured ones appear. */
function replayOf(statements: readonly string[], userId: string): (pool: Pool) => Promise<unknown> {
  if (!statements.some((text) => text.includes(MARK)) || !statements.some((text) => text.includes(userId))) {
    throw new Error('The captured POST does not name the user it created: nothing to replay');
  }
  let n = 0;
  return async (pool) => {
    const id = randomUUID();
    const number = `replay.${process.pid}.${++n}`;
    const texts = statements.map((text) => text.replaceAll(userId, id).replaceAll(MARK, number));
    if (texts.length === 1) return pool.query(texts[0] as string);
    const connection = await pool.getConnection();
    try {
      for (const text of texts) await connection.query(text);
    } finally {
      connection.release();
    }
    return undefined;
  };
}

/** Alternating slices of each side, every connection sending one request after another. */
async function measure(pool: Pool, sides: Side[], options: WriteSqlOptions): Promise<void> {
  const databasePid = findDatabasePid();
  for (const side of sides) await run(pool, side, options.connections, 1_000); // warm-up, not counted
  for (const side of sides) Object.assign(side, { requests: 0, ms: 0, databaseMs: 0 });
  for (let slice = 0; slice < options.slices; slice += 1) {
    for (const side of sides) {
      const before = databasePid === undefined ? undefined : processCpuMs(databasePid);
      const started = performance.now();
      side.requests += await run(pool, side, options.connections, options.slice * 1_000);
      side.ms += performance.now() - started;
      const after = databasePid === undefined ? undefined : processCpuMs(databasePid);
      side.databaseMs += before === undefined || after === undefined ? Number.NaN : after - before;
    }
  }
}

async function run(pool: Pool, side: Side, connections: number, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let requests = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      await side.send(pool);
      requests += 1;
    }
  }));
  return requests;
}

/** What sealing the replayed audit events costs MariaDB and this process, per event. */
async function measureSeal(url: string, replayed: number): Promise<void> {
  const databasePid = findDatabasePid();
  const dataSource = await openDataSource({ kind: 'mariadb', url });
  try {
    const before = { node: process.cpuUsage(), database: databasePid === undefined ? undefined : processCpuMs(databasePid) };
    const sealed = await sealAuditEvents(dataSource);
    const node = process.cpuUsage(before.node);
    const after = databasePid === undefined ? undefined : processCpuMs(databasePid);
    const database = before.database === undefined || after === undefined ? Number.NaN : after - before.database;
    log(`sealing the ${sealed} audit events afterwards (${replayed} replayed POSTs and their warm-ups; 1,000 a transaction): `
      + `MariaDB ${(database / sealed).toFixed(3)} ms, Node ${((node.user + node.system) / 1000 / sealed).toFixed(3)} ms per event`);
  } finally {
    await dataSource.destroy();
  }
}

const rate = (side: Side): number => (side.requests * 1000) / side.ms;
const perRequest = (side: Side): string => (side.databaseMs / side.requests).toFixed(3);

main().catch(failed);
