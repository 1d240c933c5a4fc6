import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { openDataSource } from '../../../src/db/data-source';
import { READINESS_PROBE_DEADLINE_MS } from '../../../src/http/health';
import { localOperatorContext } from '../../../src/identity/change-context';
import { MariadbServer, MARIADB_TEST_DATABASE } from '../../support/mariadb-server';
import { explain, runScimd, startServe, useSpawnedProcesses, type ServeProcess } from '../../support/processes';
import { ScimLoad, type LoadOutcome } from '../../support/scim-load';
import { ERROR_SCHEMA, GROUP_SCHEMA } from '../../support/test-server';

/**
 * Issue 11, "Database outage": a real scimd (`scimd serve`) on a private mariadbd, under SCIM write
 * load, while that mariadbd is killed (SIGKILL: a crash) or stopped (SIGTERM: a clean shutdown) and
 * started again. scimd itself is never restarted.
 */
const WRITERS = 4;
/** scimd must answer every request within this, outage or not: the pool's connect timeout (5 s) plus margin. */
const REQUEST_TIMEOUT_MS = 8_000;
const EVENT_DEADLINE_MS = 15_000;
const OUTAGE_LOGGED = /^http: the database cannot be reached/;
const RECOVERY_LOGGED = /^http: the database answers again/;

describe('Database outage (a private MariaDB stopped and started under a running scimd)', function () {
  this.timeout(60_000);
  let database: MariadbServer | undefined;
  let serve: ServeProcess | undefined;
  let token = '';
  let groupId = '';
  useSpawnedProcesses('scimd-test-outage-', () => undefined);

  before(async function () {
    this.timeout(90_000);
    database = await MariadbServer.start();
    serve = await startServe({ env: { DATABASE_URL: database.url, LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '2000' } });
    const dataSource = await openDataSource({ kind: 'mariadb', url: database.url });
    try {
      ({ token } = await new ServiceAccounts(dataSource).create(localOperatorContext('test'), { name: 'idp', roleNames: ['SCIM Provisioning'] }));
    } finally {
      await dataSource.destroy();
    }
    const group = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Outage survivors' });
    expect(group.status, JSON.stringify(group.body)).to.equal(201);
    groupId = String(group.body.id);
  });

  after(async () => {
    await serve?.stop().catch(() => undefined);
    await database?.remove();
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`answers 2xx or 503 with Retry-After through a ${signal} of the database and recovers by itself, every acknowledged write kept whole`, async () => {
      const db = required(database);
      const server = required(serve);
      const pid = server.child.pid;
      const logsBefore = server.logLines().length;
      const load = new ScimLoad({
        baseUrl: `${server.baseUrl}/scim/v2`, token, writers: WRITERS, groupId, requestTimeoutMs: REQUEST_TIMEOUT_MS,
        prefix: `${signal.toLowerCase()}-${Date.now().toString(36)}`,
      });
      load.start();
      try {
        await load.waitFor('20 users created', () => load.since(0, created).length >= 20, EVENT_DEADLINE_MS);

        await db.kill(signal);
        const killedAt = load.outcomes.length;
        await load.waitFor('five 503s after the kill', () => load.since(killedAt, (o) => o.status === 503).length >= 5, EVENT_DEADLINE_MS);
        // The probe answers within its deadline (the client gives it one second more) and says why.
        const probe = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(READINESS_PROBE_DEADLINE_MS + 1_000) });
        expect(probe.status).to.equal(503);
        expect(await probe.json()).to.have.nested.property('checks.database', 'unreachable');
        // Liveness does not depend on the database: restarting scimd would not bring it back.
        expect((await fetch(`${server.baseUrl}/livez`)).status).to.equal(200);
        // The admin API says the same in its own format (RFC 9457 problem details).
        const admin = await fetch(`${server.baseUrl}/admin/api/roles`, {
          headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        expect(admin.status).to.equal(503);
        expect(admin.headers.get('Retry-After')).to.equal('5');
        expect(admin.headers.get('Content-Type')).to.match(/^application\/problem\+json/);
        expect(await admin.json()).to.include({ status: 503, title: 'Service Unavailable' });

        await db.restart();
        await server.waitFor('/readyz', EVENT_DEADLINE_MS);
        const backAt = load.outcomes.length;
        await load.waitFor('10 users created after the restart', () => load.since(backAt, created).length >= 10, EVENT_DEADLINE_MS);
      } finally {
        await load.stop();
      }

      expect(server.running, 'scimd kept running').to.equal(true);
      expect(server.child.pid).to.equal(pid);
      expectOnly2xxOr503(load.outcomes);
      const lines = server.logLines().slice(logsBefore);
      expect(lines.filter((line) => line.msg === 'request failed'), 'no request ended as an unexpected error').to.deep.equal([]);
      expect(lines.filter((line) => OUTAGE_LOGGED.test(String(line.msg))), 'the outage logged once').to.have.length(1);
      expect(lines.filter((line) => RECOVERY_LOGGED.test(String(line.msg))), 'the recovery logged once').to.have.length(1);
      await expectWritesWhole(db, load.outcomes);
    });
  }

  it('answers /readyz 503 within its deadline while the database hangs (SIGSTOP), and 200 once it goes on', async () => {
    const db = required(database);
    const server = required(serve);
    db.freeze();
    try {
      // The client's timeout is the assertion: an answer later than the deadline plus a second fails the fetch.
      const probe = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(READINESS_PROBE_DEADLINE_MS + 1_000) });
      expect(probe.status).to.equal(503);
      expect(await probe.json()).to.have.nested.property('checks.database', 'unreachable');
    } finally {
      db.thaw();
    }
    await server.waitFor('/readyz', EVENT_DEADLINE_MS);
  });

  it('verifies the audit chain after the outages', async () => {
    const verified = await runScimd(['audit', 'verify'], { env: { DATABASE_URL: required(database).url } });
    expect(verified.code, explain(verified)).to.equal(0);
  });

  async function scim(method: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${required(serve).baseUrl}/scim/v2${path}`, {
      method, body: JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
    });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }
});

const created = (outcome: LoadOutcome): boolean => outcome.status === 201;

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the suite did not start');
  return value;
}

/** Every answer a success or a 503 that tells the client when to come back, in SCIM's error format. */
function expectOnly2xxOr503(outcomes: readonly LoadOutcome[]): void {
  const others = outcomes.filter((o) => o.status === 'no answer' || !(o.status === 503 || (o.status >= 200 && o.status < 300)));
  expect(others.map((o) => `${o.operation}: ${String(o.status)} ${o.failure ?? JSON.stringify(o.body)}`), 'answers other than 2xx and 503')
    .to.deep.equal([]);
  const unavailable = outcomes.filter((o) => o.status === 503);
  expect(unavailable).to.not.be.empty;
  for (const outcome of unavailable) {
    expect(outcome.retryAfter, JSON.stringify(outcome)).to.match(/^\d+$/);
    expect(outcome.contentType).to.match(/^application\/scim\+json/);
    expect(outcome.body.schemas).to.deep.equal([ERROR_SCHEMA]);
    expect(outcome.body.status).to.equal('503');
  }
}

/**
 * Each acknowledged create is stored with its audit event; every stored user has exactly one create
 * event and every create event its user (no change written without its audit row, or the reverse);
 * no index or membership row points at a user that is not there.
 */
async function expectWritesWhole(db: MariadbServer, outcomes: readonly LoadOutcome[]): Promise<void> {
  const connection = await db.connect({ database: MARIADB_TEST_DATABASE });
  try {
    const acknowledged = outcomes.flatMap((o) => (o.id === undefined ? [] : [o.id]));
    const stored = new Set((await rows(connection, 'SELECT id FROM users WHERE id IN (?)', [acknowledged])).map((row) => String(row.id)));
    expect(acknowledged.filter((id) => !stored.has(id)), 'acknowledged creates missing').to.deep.equal([]);
    expect(await rows(connection, `SELECT u.id FROM users u WHERE
      (SELECT COUNT(*) FROM audit_events a WHERE a.target_id = u.id AND a.action = 'user.create') <> 1`), 'users without exactly one create event')
      .to.deep.equal([]);
    expect(await rows(connection, `SELECT a.target_id FROM audit_events a LEFT JOIN users u ON u.id = a.target_id
      WHERE a.action = 'user.create' AND u.id IS NULL`), 'create events without their user').to.deep.equal([]);
    expect(await rows(connection, `SELECT v.user_id FROM user_values v LEFT JOIN users u ON u.id = v.user_id
      WHERE u.id IS NULL`), 'index rows without their user').to.deep.equal([]);
    expect(await rows(connection, `SELECT m.user_id FROM role_members m LEFT JOIN users u ON u.id = m.user_id
      WHERE u.id IS NULL`), 'memberships without their user').to.deep.equal([]);
  } finally {
    await connection.end();
  }
}

async function rows(connection: mysql.Connection, sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const [result] = await connection.query(sql, values);
  return result as Record<string, unknown>[];
}
