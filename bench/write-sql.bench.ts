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
import { PATCH_OP, SCIM, USER_SCHEMA, userNameOf, workEmailOf } from './names';
import { resetDatabase, SCRATCH_TABLE, seed, type SeedResult } from './seed';
import { parseWriteSqlOptions, type WriteSqlOptions } from './write-sql-options';

/**
 * `node_modules/.bin/tsx bench/write-sql.bench.ts [--users N] [--slices N] [--slice S] [--connections N]`:
 * the most a POST /Users, a PATCH /Users/{id} and a member add (PATCH /Groups/{id}) could reach
 * against the write floor if scimd's own work cost nothing. scimd serves one of each; the statements
 * it sent MariaDB are kept (on MariaDB a POST is one multi-statement query: START TRANSACTION, the
 * user, its indexed values, its audit row, COMMIT; a PATCH two: the locked read with the user's roles,
 * then the UPDATE, its audit row and COMMIT; a member add two: the group's locked row with the joining
 * user and its memberships, then the member row, the group's version, the audit row and COMMIT) and
 * replayed from a bare mysql2 pool, the POST as a new user each time, the PATCH on a random seeded
 * user, the member add with the next user outside the groups, in slices that alternate with the write
 * floor's one-row INSERT sent from the same pool. Prints each side's rate and MariaDB CPU per request, its ratio to the INSERT, and what
 * sealing the replayed audit events costs afterwards (the server seals them after the commit, apart
 * from the request). docs/benchmarks.md, "Thirteenth run".
 */

/** Users in no group, one per replayed member add (six 2 s slices add a few thousand). */
const SPARE_USERS = 40_000;

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
    log(`seeding ${options.users} users and ${SPARE_USERS} outside the groups…`);
    const seeded = await seed(pool, options.users, SPARE_USERS);
    const captured = await capture(url, seeded);
    for (const [name, statements] of [
      ['POST /Users', captured.post], ['PATCH /Users/{id}', captured.patch], ['PATCH /Groups/{id} add member', captured.addMember],
    ] as const) {
      log(`captured ${name}: ${statements.length} quer${statements.length === 1 ? 'y' : 'ies'}, `
        + `${statements.reduce((sum, text) => sum + text.split(';\n').length, 0)} statements`);
    }
    let written = 0;
    const sides: Side[] = [
      {
        name: 'write floor: one-row INSERT', requests: 0, ms: 0, databaseMs: 0,
        send: (target) => target.query(`INSERT INTO ${SCRATCH_TABLE} (name, created_at) VALUES (?, ?)`,
          [`row ${++written}`, new Date().toISOString()]),
      },
      { name: 'POST /Users statements', requests: 0, ms: 0, databaseMs: 0, send: postReplay(captured.post, captured.createdId) },
      { name: 'PATCH /Users/{id} statements', requests: 0, ms: 0, databaseMs: 0, send: patchReplay(captured.patch, seeded) },
      { name: 'member add statements', requests: 0, ms: 0, databaseMs: 0, send: addMemberReplay(captured.addMember, seeded) },
    ];
    await measure(pool, sides, options);
    const [floor] = sides as [Side];
    for (const side of sides) {
      const share = side === floor ? '' : `, ${((100 * rate(side)) / rate(floor)).toFixed(0)}% of the INSERT`;
      log(`${side.name.padEnd(30)} ${rate(side).toFixed(0).padStart(6)} per second, MariaDB ${perRequest(side)} ms each${share}`);
    }
    log(`(${options.connections} connections, ${options.slices} alternating slices of ${options.slice} s each side)`);
    await measureSeal(url, sides.slice(1).reduce((sum, side) => sum + side.requests, 0));
  } finally {
    await pool.end();
  }
}

/** What scimd sent MariaDB for one POST /Users and for one PATCH /Users/{id} of the first seeded user. */
interface Captured {
  readonly post: string[];
  /** The id of the user the captured POST created. */
  readonly createdId: string;
  readonly patch: string[];
  /** PATCH /Groups/{id} of the 10-member group, adding the first spare user. */
  readonly addMember: string[];
}

/** Serves one POST /Users and one PATCH /Users/{id} on a scimd of the bench database and keeps the statements each sent. */
async function capture(url: string, seeded: SeedResult): Promise<Captured> {
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
    const patch = async (title: string): Promise<void> => {
      const response = await fetch(`${server.url}${SCIM}/Users/${seeded.ids[0] ?? ''}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
        // The bench's PATCH body (bench/requests.ts).
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: title }] }),
      });
      if (response.status !== 200) throw new Error(`PATCH /Users/{id}: ${response.status} ${await response.text()}`);
    };
    const captured = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
      await settleAuditSeals(server.dataSource); // a seal of the warm-up must not be captured
      const log = new Capture();
      server.dataSource.subscribers.push(log);
      try {
        return { result: await work(), statements: log.statements };
      } finally {
        server.dataSource.subscribers.splice(server.dataSource.subscribers.indexOf(log), 1);
      }
    };
    const addMember = async (userId: string): Promise<void> => {
      const response = await fetch(`${server.url}${SCIM}/Groups/${seeded.smallGroupId}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] }),
      });
      if (response.status !== 204) throw new Error(`PATCH /Groups/{id}: ${response.status} ${await response.text()}`);
    };
    // Warm-ups: the principal is then remembered, and the captured requests read nothing to authenticate.
    await post('warm-up');
    await patch('Title warm-up');
    await addMember(spare(seeded, 1));
    const created = await captured(() => post(MARK));
    const patched = await captured(() => patch('Title replayed'));
    const added = await captured(() => addMember(spare(seeded, 0)));
    await settleAuditSeals(server.dataSource);
    return { post: created.statements, createdId: created.result, patch: patched.statements, addMember: added.statements };
  } finally {
    await server.stop();
  }
}

/** The captured POST again, as a new user: a new id and number wherever the captured ones appear. */
function postReplay(statements: readonly string[], userId: string): (pool: Pool) => Promise<unknown> {
  if (!statements.some((text) => text.includes(MARK)) || !statements.some((text) => text.includes(userId))) {
    throw new Error('The captured POST does not name the user it created: nothing to replay');
  }
  let n = 0;
  return (pool) => {
    const number = `replay.${process.pid}.${++n}`;
    return replay(pool, statements.map((text) => text.replaceAll(userId, randomUUID()).replaceAll(MARK, number)));
  };
}

/**
 * The captured PATCH of the first seeded user again, on a random other one: its id, userName and
 * e-mail (unique keys, all derived from its index: bench/names.ts) wherever the first one's appear.
 */
function patchReplay(statements: readonly string[], seeded: SeedResult): (pool: Pool) => Promise<unknown> {
  const [firstId] = seeded.ids;
  if (firstId === undefined || !statements.some((text) => text.includes(firstId))) {
    throw new Error('The captured PATCH does not name the user it changed: nothing to replay');
  }
  const name = (i: number) => userNameOf(i).replace(/@.*/, '@');
  const email = (i: number) => workEmailOf(i).replace(/@.*/, '@');
  return (pool) => {
    const i = 1 + Math.floor(Math.random() * (seeded.ids.length - 1));
    return replay(pool, statements.map((text) => text.replaceAll(firstId, seeded.ids[i] as string)
      .replaceAll(name(0), name(i)).replaceAll(email(0), email(i))));
  };
}

/**
 * The captured member add again, each time with the next spare user (never added twice: the member
 * rows' key would refuse it). Every replay takes the group's row lock, as every member change of one
 * group does in scimd, so they queue on it as the bench's member PATCHes do.
 */
function addMemberReplay(statements: readonly string[], seeded: SeedResult): (pool: Pool) => Promise<unknown> {
  const first = spare(seeded, 0);
  if (!statements.some((text) => text.includes(first))) {
    throw new Error('The captured member add does not name the user it added: nothing to replay');
  }
  let next = 2; // 0 was captured, 1 the warm-up
  return (pool) => {
    if (next >= seeded.spareIds.length) throw new Error(`The ${SPARE_USERS} spare users ran out: use fewer or shorter slices`);
    const userId = spare(seeded, next++);
    return replay(pool, statements.map((text) => text.replaceAll(first, userId)));
  };
}

const spare = (seeded: SeedResult, index: number): string => seeded.spareIds[index] as string;

/** Sends the statements of one request in order on one connection, as scimd's transaction did. */
async function replay(pool: Pool, texts: readonly string[]): Promise<unknown> {
  if (texts.length === 1) return pool.query(texts[0] as string);
  const connection = await pool.getConnection();
  try {
    for (const text of texts) await connection.query(text);
  } finally {
    connection.release();
  }
  return undefined;
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
    log(`sealing the ${sealed} audit events afterwards (${replayed} replayed requests and their warm-ups; 1,000 a transaction): `
      + `MariaDB ${(database / sealed).toFixed(3)} ms, Node ${((node.user + node.system) / 1000 / sealed).toFixed(3)} ms per event`);
  } finally {
    await dataSource.destroy();
  }
}

const rate = (side: Side): number => (side.requests * 1000) / side.ms;
const perRequest = (side: Side): string => (side.databaseMs / side.requests).toFixed(3);

main().catch(failed);
