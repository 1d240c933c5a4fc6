import { expect } from 'chai';
import type mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../../../src/config';
import { openDataSource } from '../../../src/db/data-source';
import { SYNC_LEASE, SyncRuns, type SyncRunView } from '../../../src/governance/sync-runs';
import { createLogger } from '../../../src/logger';
import { runSync } from '../../../sync/run';
import { TestDirectory, testConnectionConfig, testSyncLdapConfig } from '../../support/directory';
import { MariadbServer, MARIADB_TEST_DATABASE } from '../../support/mariadb-server';
import { explain, runScimd } from '../../support/processes';

/**
 * Issue 11, "Database outage", for the directory sync: a run caught by an outage while it applies
 * its changes ends failed (the database back when it ends) or is left running and is ended failed
 * by the next run (the database still down when it ends). Either way the watermark stays where the
 * last successful run left it, and the next run converges. Against the Samba test directory and a
 * private mariadbd (test/support/mariadb-server.ts).
 *
 * The outage has to strike while a batch is being written, not before or after the run applies
 * anything. So the test locks the end of user_values before the run starts (a batch of new users
 * inserts their indexed e-mail addresses there, in the transaction that writes them:
 * src/identity/user-writes.ts; nothing else of a run does), waits until a batch of the run waits
 * for it, and only then cuts the run's connection or kills the server. Locking when the run
 * reported "applying" instead left a race: the batch, one round trip, could pass before the lock
 * was taken, and the kill then struck the run's own bookkeeping after it.
 */
/** Users each step adds: one transaction of the sync (it writes up to 500 a batch: src/identity/directory-writes.ts). */
const NEW_USERS_PER_STEP = 450;
const DEADLINE_MS = 15_000;
/** Where a batch of new users waits for the test's lock: their indexed values, written with them. */
const BATCH_TABLE = 'user_values';

describe('Database outage during a directory sync (Samba AD DC, private MariaDB)', function () {
  this.timeout(60_000);
  let database: MariadbServer | undefined;
  let dataSource: DataSource | undefined;
  let dir: TestDirectory | undefined;
  let people = '';
  let config: SyncConfig;
  let expected = 0;
  let step = 0;
  const logger = createLogger('silent');

  const sync = (onProgress?: (stage: string) => void): Promise<SyncRunView> =>
    runSync({ dataSource: required(dataSource), config, logger }, { trigger: 'cli', ...(onProgress ? { onProgress } : {}) });

  before(async function () {
    this.timeout(90_000);
    database = await MariadbServer.start();
    dataSource = await openDataSource({ kind: 'mariadb', url: database.url });
    await dataSource.runMigrations();
    dir = await TestDirectory.open();
    const suite = await dir.createSuiteOu('db-outage');
    people = await dir.createOu('People', suite);
    config = {
      ldap: testSyncLdapConfig(),
      baseDns: [people], userFilter: '(&(objectCategory=person)(objectClass=user))', groupFilter: '(objectClass=group)',
      deleteThreshold: 500, deleteThresholdPercent: 10, deletePolicy: 'deactivate', softMatchByUserName: false, schedulerEnabled: false,
    };
    await addUsers(20);
    const first = await sync();
    expect(first.status, first.message ?? '').to.equal('succeeded');
    expect(await storedUsers()).to.equal(expected);
  });

  after(async () => {
    await dataSource?.destroy().catch(() => undefined);
    await dir?.close();
    await database?.remove();
  });

  it('ends a run whose connection the database drops mid-apply as failed, keeps its watermark, and the next run converges', async () => {
    await addUsers(NEW_USERS_PER_STEP);
    const watermark = await watermarkNow();
    const blocked = await blockInserts(BATCH_TABLE);
    let runEnded: Promise<SyncRunView> | undefined;
    try {
      await blocked.hold();
      runEnded = sync();

      const waiting = await blocked.waitingThread();
      // What a database restart or failover does to a session: the server ends it under the statement.
      await blocked.admin.query(`KILL CONNECTION ${waiting}`);
    } finally {
      await blocked.release();
    }
    const run = await required(runEnded);
    expect(run.status, run.message ?? '').to.equal('failed');
    expect(run.message).to.include('database connection was lost');
    expect(await watermarkNow(), 'the watermark of the last successful run').to.deep.equal(watermark);

    await expectNextRunConverges();
  });

  it('leaves a run running when the database is down at its end; the next run ends it failed and converges, from the same watermark', async () => {
    const db = required(database);
    await addUsers(NEW_USERS_PER_STEP);
    const watermark = await watermarkNow();
    const blocked = await blockInserts(BATCH_TABLE);
    await blocked.hold();
    // In `scimd serve` an unhandled rejection ends the process (src/cli.ts): a run must fail without one.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    let runId: string | undefined;
    const runEnded = runSync({ dataSource: required(dataSource), config, logger }, {
      trigger: 'cli', onStart: (id) => { runId = id; },
    });
    // Settled either way, so that a rejection before the kill is not unhandled while the test waits.
    const ended = runEnded.then(() => 'resolved', (error: unknown) => error);
    try {
      await blocked.waitingThread();
      await db.kill('SIGKILL');
    } finally {
      await blocked.release();
    }
    const outcome = await ended;
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled, 'unhandled rejections').to.deep.equal([]);
    expect(outcome, 'runSync rejects: it could not record its end').to.be.instanceOf(Error);
    await db.restart();

    const left = await new SyncRuns(required(dataSource)).get(required(runId));
    expect(left.status).to.equal('running');
    expect(await watermarkNow()).to.deep.equal(watermark);
    // Its lease could not be released either: it runs out after SYNC_LEASE_TTL_SECONDS (10 minutes by
    // default), which this test does not wait for; the next run after that ends the abandoned run.
    await required(dataSource).query('UPDATE leases SET expires_at = ? WHERE name = ?', ['2000-01-01T00:00:00.000Z', SYNC_LEASE]);

    await expectNextRunConverges();
    const abandoned = await new SyncRuns(required(dataSource)).get(required(runId));
    expect(abandoned.status).to.equal('failed');
    expect(abandoned.message).to.include('abandoned');
  });

  it('tells the operator of `scimd sync run` that the database went away: exit 1 with the unavailable message', async () => {
    const db = required(database);
    const ldap = testConnectionConfig();
    const blocked = await blockInserts('audit_events');
    // Held before the command starts: the run's first audited write (recording the run) waits for it.
    await blocked.hold();
    const cli = runScimd(['sync', 'run'], {
      env: {
        DATABASE_URL: db.url, LDAP_URL: ldap.url, LDAP_BIND_DN: ldap.bindDn, LDAP_BIND_PASSWORD: ldap.bindPassword,
        ...(ldap.caFile ? { LDAP_CA_FILE: ldap.caFile } : {}), ...(ldap.servername ? { LDAP_TLS_SERVERNAME: ldap.servername } : {}),
        SYNC_BASE_DNS: people, SYNC_SCHEDULER: 'false',
      },
    });
    try {
      await blocked.waitingThread();
      await db.kill('SIGKILL');
    } finally {
      await blocked.release();
    }
    const result = await cli;
    expect(result.code, explain(result)).to.equal(1);
    expect(result.stderr, explain(result)).to.include('scimd: The database cannot be reached at the moment; send the request again in a few seconds');
    expect(result.stderr, 'no unexpected-error report').to.not.match(/scimd: (Error|QueryFailedError)/);
    await db.restart();
  });

  /** The next run succeeds from the old watermark, stores every directory user and moves the watermark. */
  async function expectNextRunConverges(): Promise<void> {
    const before = await watermarkNow();
    const next = await sync();
    expect(next.status, next.message ?? '').to.equal('succeeded');
    expect(next.mode).to.equal('delta');
    expect(Number(next.usnFrom), 'read on from the last successful run').to.equal(Number(before?.usn));
    expect(next.counters.errors).to.equal(0);
    expect(await storedUsers(), 'every directory user stored').to.equal(expected);
    expect((await watermarkNow())?.usn).to.not.equal(before?.usn);
    const again = await sync();
    expect(again.counters.created ?? 0, 'nothing left to create').to.equal(0);
  }

  async function addUsers(count: number): Promise<void> {
    const directory = required(dir);
    step++;
    await directory.createUsers(people, count, (i) => directory.sampleUser(`dbo${step}x${String(i).padStart(4, '0')}`));
    expected += count;
  }

  async function storedUsers(): Promise<number> {
    const rows = await required(dataSource).query("SELECT COUNT(*) AS n FROM users WHERE source = 'ad'") as { n: number | string }[];
    return Number(rows[0]?.n);
  }

  async function watermarkNow(): Promise<{ invocationId: string; usn: string } | undefined> {
    const state = await new SyncRuns(required(dataSource)).getState();
    return state ? { invocationId: state.invocationId, usn: state.usn } : undefined;
  }

  /**
   * A connection that locks the gap after the last row of `table` (hold(), resolved once the lock is
   * held: an INSERT there waits for it; the rows already written stay free, so the sealer's updates
   * of audit_events do not wait) and keeps it until release(); waitingThread() resolves with the id
   * of the session whose INSERT into `table` waits.
   */
  async function blockInserts(table: 'audit_events' | 'user_values'): Promise<{
    admin: mysql.Connection; hold(): Promise<void>; waitingThread(): Promise<number>; release(): Promise<void>;
  }> {
    const db = required(database);
    const locker = await db.connect({ database: MARIADB_TEST_DATABASE });
    const admin = await db.connect({ database: MARIADB_TEST_DATABASE });
    await locker.beginTransaction();
    return {
      admin,
      async hold() {
        const [rows] = await locker.query(`SELECT MAX(id) AS id FROM ${table}`);
        await locker.query(`SELECT id FROM ${table} WHERE id > ? FOR UPDATE`, [(rows as { id: number | null }[])[0]?.id ?? 0]);
      },
      async waitingThread() {
        // A lock wait announces itself nowhere a client can wait on: polled, with a deadline.
        const deadline = Date.now() + DEADLINE_MS;
        while (Date.now() < deadline) {
          // An INSERT into the table by another session, in progress while ours holds the gap: it waits.
          // (The statements a batch sends together run one by one; INFO starts at the one running. A
          // batch's INSERT of many rows runs as a prepared statement: its command is Execute.)
          const [rows] = await admin.query(`SELECT ID AS id FROM information_schema.PROCESSLIST
            WHERE COMMAND IN ('Query', 'Execute') AND (INFO LIKE ? OR INFO LIKE ?) AND ID <> ?`,
          [`INSERT INTO ${table}%`, `INSERT INTO \`${table}\`%`, locker.threadId]);
          const [waiting] = rows as { id: number }[];
          if (waiting) return waiting.id;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`no sync batch waited to insert into ${table} within ${DEADLINE_MS} ms`);
      },
      async release() {
        await locker.rollback().catch(() => undefined);
        locker.destroy();
        admin.destroy();
      },
    };
  }
});

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the suite did not start');
  return value;
}
