import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { BATCH_SYNC_ACCOUNT } from '../../../migrations/1763900000002-sync-runs';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import type { DatabaseConfig } from '../../../src/config';
import { UserEntity } from '../../../src/db/entities';
import { openDataSource } from '../../../src/db/data-source';
import { acquireLease } from '../../../src/db/lease';
import { DomainError } from '../../../src/errors';
import { batchSyncContext, localOperatorContext } from '../../../src/identity/change-context';
import {
  SYNC_LEASE, SyncRuns, type SyncCounters, type SyncRunEntryInput, type SyncRunView,
} from '../../../src/governance/sync-runs';
import { testDatabases } from '../../support/databases';
import { killStrayProcesses, runScimd, type RunResult } from '../../support/processes';

/** Who asks for a scheduled run: Batch sync, with the permission to start one. */
const SCHEDULE = batchSyncContext({ permissions: new Set(['sync:run']) });

const ZERO: SyncCounters = {
  read: 0, created: 0, updated: 0, deactivated: 0, deleted: 0, reactivated: 0, unchanged: 0, skipped: 0, errors: 0,
  memberAdds: 0, memberRemoves: 0,
};

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a rejection');
}

function userEntry(action: SyncRunEntryInput['action'], n: number, extra: Partial<SyncRunEntryInput> = {}): SyncRunEntryInput {
  return {
    objectType: 'user', action, anchor: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
    dn: `CN=User ${n},OU=Staff,DC=example,DC=test`, changes: [{ attribute: 'title', from: 'Dev', to: 'Lead' }], ...extra,
  };
}

async function count(dataSource: DataSource, sql: string, parameters: unknown[]): Promise<number> {
  const rows = await dataSource.query(sql, parameters) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

function cliEnv(config: DatabaseConfig): Record<string, string> {
  return { DATABASE_URL: config.kind === 'sqlite' ? `sqlite:${config.path}` : config.url, LOG_LEVEL: 'silent' };
}

function explain(result: RunResult): string {
  return `exit ${String(result.code)}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      field += char;
    }
  }
  expect(field, 'the CSV ends with CRLF').to.equal('');
  return records;
}

for (const database of testDatabases()) {
  describe(`The sync reports store on ${database.name}`, () => {
    let dataSource: DataSource;
    let runs: SyncRuns;

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      runs = new SyncRuns(dataSource);
    });

    after(async () => {
      await dataSource.destroy();
    });

    it('the migration seeds the Batch sync service account: the Batch sync role and no token', async () => {
      const account = await new ServiceAccounts(dataSource).get('Batch sync');
      expect(account.id).to.equal(BATCH_SYNC_ACCOUNT.id).and.equal('00000000-0000-4000-9000-000000000001');
      expect(account.roles).to.deep.equal(['Batch sync']);
      expect(account.tokens).to.deep.equal([]);
      expect(account.disabledAt).to.equal(null);
      expect(await count(dataSource, 'SELECT COUNT(*) AS n FROM api_tokens WHERE account_id = ?', [account.id])).to.equal(0);
    });

    it('keeps the DN the sync saw on each user (users.source_dn, up to 1024 characters)', async () => {
      const dn = `CN=${'Ünïcode, Long'.repeat(80)},OU=Staff,DC=example,DC=test`.slice(0, 1024);
      const now = new Date().toISOString();
      await dataSource.getRepository(UserEntity).insert({
        id: 'dn-user', userName: 'dn@example.test', userNameKey: 'dn@example.test', profile: '{}', source: 'ad',
        sourceAnchor: 'anchor-dn', sourceDn: dn, createdAt: now, updatedAt: now,
      });
      const stored = await dataSource.getRepository(UserEntity).findOneByOrFail({ id: 'dn-user' });
      expect(stored.sourceDn).to.equal(dn);
      expect(dn).to.have.length(1024);
    });

    it('starts a run as running and lists runs newest first, even within one millisecond', async () => {
      const first = await runs.start({ trigger: 'schedule', mode: 'delta', dryRun: false, requestedBy: SCHEDULE });
      const second = await runs.start({ trigger: 'cli', mode: 'full', modeReason: 'no watermark yet', dryRun: true, requestedBy: localOperatorContext('cli:root') });
      const run = await runs.get(second);
      expect(run).to.include({
        id: second, trigger: 'cli', mode: 'full', modeReason: 'no watermark yet', dryRun: true, status: 'running',
        finishedAt: null, durationMs: null, server: null, usnFrom: null, usnTo: null, message: null, actorName: 'cli:root',
      });
      expect(run.counters).to.deep.equal(ZERO);
      expect((await runs.get(first)).startedAt < run.startedAt, 'strictly increasing started_at').to.equal(true);
      expect((await runs.latest())?.id).to.equal(second);
      const listed = await runs.list({ limit: 1, offset: 1 });
      expect(listed.total).to.be.at.least(2);
      expect(listed.items.map((item) => item.id)).to.deep.equal([first]);
    });

    it('writes entries in batches, keeps their order, pages them and filters by action', async () => {
      const runId = await runs.start({ trigger: 'api', mode: 'full', dryRun: false, requestedBy: localOperatorContext('reporting') });
      const entries: SyncRunEntryInput[] = [];
      for (let i = 0; i < 450; i++) entries.push(userEntry(i % 9 === 0 ? 'error' : i % 3 === 0 ? 'skip' : 'update', i, i % 9 === 0 ? { message: `failed ${i}` } : {}));
      await runs.addEntries(runId, entries.slice(0, 300));
      await runs.addEntries(runId, entries.slice(300));
      await runs.addEntries(runId, []);
      const page2 = await runs.entries(runId, { page: 2, pageSize: 100 });
      expect(page2.total).to.equal(450);
      expect(page2.items.map((entry) => entry.anchor)).to.deep.equal(entries.slice(100, 200).map((entry) => entry.anchor));
      expect(page2.items[0]).to.include({ objectType: 'user', dn: 'CN=User 100,OU=Staff,DC=example,DC=test' });
      expect(page2.items[0]?.changes).to.deep.equal([{ attribute: 'title', from: 'Dev', to: 'Lead' }]);
      const errors = await runs.entries(runId, { action: 'error', page: 1, pageSize: 1000 });
      expect(errors.total).to.equal(50);
      expect(errors.items.every((entry) => entry.action === 'error' && entry.message?.startsWith('failed '))).to.equal(true);
      const problems = await runs.entries(runId, { action: ['error', 'skip'], page: 1, pageSize: 10 });
      expect(problems.total).to.equal(150);
      expect(problems.items).to.have.length(10);
      expect((await runs.entries(runId, { page: 99, pageSize: 10 })).items).to.deep.equal([]);
    });

    it('never stores secrets: changes to password-like attributes are dropped, long values summarised', async () => {
      const runId = await runs.start({ trigger: 'cli', mode: 'full', dryRun: false, requestedBy: localOperatorContext('cli:root') });
      await runs.addEntries(runId, [{
        objectType: 'user', action: 'create', anchor: 'a-1', dn: null,
        changes: [
          { attribute: 'password', to: 'Secret123!' }, { attribute: 'unicodePwd', to: 'x' }, { attribute: 'userPassword', to: 'y' },
          { attribute: 'clientSecret', to: 'z' }, { attribute: 'displayName', to: 'Alice' },
          { attribute: 'description', to: 'x'.repeat(5000) },
        ],
      }]);
      const [entry] = (await runs.entries(runId, { page: 1, pageSize: 10 })).items;
      expect(entry?.changes).to.deep.equal([
        { attribute: 'displayName', to: 'Alice' }, { attribute: 'description', to: '(5002 characters, not shown)' },
      ]);
      const raw = await dataSource.query('SELECT changes FROM sync_run_entries WHERE run_id = ?', [runId]) as { changes: string }[];
      expect(raw[0]?.changes).to.not.match(/Secret123|unicodePwd|userPassword|clientSecret/);
    });

    it('counts the counters from the entries when the run finishes, whatever the caller says', async () => {
      const runId = await runs.start({ trigger: 'schedule', mode: 'delta', dryRun: false, requestedBy: SCHEDULE });
      await runs.addEntries(runId, [
        userEntry('create', 1), userEntry('create', 2), userEntry('update', 3), userEntry('deactivate', 4),
        userEntry('delete', 5), userEntry('reactivate', 6), userEntry('skip', 7), userEntry('error', 8),
        { objectType: 'role', action: 'member-add', anchor: 'u-9', dn: 'CN=U9,DC=example,DC=test', changes: [{ attribute: 'roles', to: 'Help Desk' }] },
        { objectType: 'role', action: 'member-add', anchor: 'u-10', changes: [{ attribute: 'roles', to: 'Help Desk' }] },
        { objectType: 'role', action: 'member-remove', anchor: 'u-11', changes: [{ attribute: 'roles', from: 'Help Desk' }] },
        { objectType: 'role', action: 'create', anchor: 'g-1', dn: 'CN=Help Desk,OU=Groups,DC=example,DC=test' },
      ]);
      const finished = await runs.finish(runId, {
        status: 'succeeded',
        counters: { ...ZERO, read: 40, unchanged: 28, created: 99, errors: 0 },
        server: 'dc1.example.test', invocationId: '6f1c0c55-0000-4000-8000-000000000001', usnFrom: 1200, usnTo: '1350',
      });
      expect(finished.counters).to.deep.equal({
        read: 40, created: 3, updated: 1, deactivated: 1, deleted: 1, reactivated: 1, unchanged: 28, skipped: 1,
        errors: 1, memberAdds: 2, memberRemoves: 1,
      });
      expect(finished).to.include({
        status: 'succeeded', server: 'dc1.example.test', invocationId: '6f1c0c55-0000-4000-8000-000000000001',
        usnFrom: '1200', usnTo: '1350', message: null,
      });
      expect(finished.finishedAt).to.be.a('string');
      expect(finished.durationMs).to.equal(Date.parse(finished.finishedAt as string) - Date.parse(finished.startedAt));
      const entries = (await runs.entries(runId, { page: 1, pageSize: 100 })).total;
      const { read: _read, unchanged: _unchanged, ...actionCounters } = finished.counters;
      expect(Object.values(actionCounters).reduce((sum, n) => sum + n, 0), 'counters = entries').to.equal(entries);
    });

    it('refuses entries and a second finish once the run has finished; records why a run failed or was blocked', async () => {
      const runId = await runs.start({ trigger: 'schedule', mode: 'full', dryRun: false, requestedBy: SCHEDULE });
      const blocked = await runs.finish(runId, {
        status: 'blocked', counters: { read: 1000, unchanged: 0 }, message: 'would delete 600 users (threshold 50)',
      });
      expect(blocked).to.include({ status: 'blocked', message: 'would delete 600 users (threshold 50)' });
      expect((await rejection(runs.addEntries(runId, [userEntry('delete', 1)]))).kind).to.equal('conflict');
      expect((await rejection(runs.addEntries(runId, []))).kind).to.equal('conflict');
      expect((await rejection(runs.finish(runId, { status: 'succeeded', counters: { read: 0, unchanged: 0 } }))).kind).to.equal('conflict');
      expect((await runs.get(runId)).status).to.equal('blocked');
    });

    it('ends runs a stopped process left running as failed, with counters from their entries, and leaves ended runs alone', async () => {
      const ended = await runs.start({ trigger: 'schedule', mode: 'full', dryRun: false, requestedBy: SCHEDULE });
      await runs.finish(ended, { status: 'succeeded', counters: { read: 3, unchanged: 3 } });
      const abandoned = await runs.start({ trigger: 'schedule', mode: 'delta', dryRun: false, requestedBy: SCHEDULE });
      await runs.addEntries(abandoned, [userEntry('create', 1), userEntry('update', 2)]);
      // Earlier tests in this block leave runs running too: they are just as abandoned.
      expect(await runs.failAbandoned('abandoned: test')).to.include(abandoned).and.not.include(ended);
      const view = await runs.get(abandoned);
      expect(view).to.include({ status: 'failed', message: 'abandoned: test' });
      expect(view.counters).to.include({ created: 1, updated: 1 });
      expect((await runs.get(ended)).status).to.equal('succeeded');
      expect(await runs.failAbandoned('again'), 'nothing left running').to.deep.equal([]);
    });

    it('answers notFound for a run that does not exist', async () => {
      for (const attempt of [
        () => runs.get('00000000-0000-4000-8000-0000000000ff'), () => runs.entries('nope', { page: 1, pageSize: 10 }),
        () => runs.addEntries('nope', [userEntry('create', 1)]),
        () => runs.finish('nope', { status: 'failed', counters: { read: 0, unchanged: 0 } }),
      ]) {
        expect((await rejection(attempt())).kind).to.equal('notFound');
      }
    });

    it('rejects unknown triggers, modes, statuses, actions, object types and USNs as invalid', async () => {
      const runId = await runs.start({ trigger: 'cli', mode: 'delta', dryRun: false, requestedBy: localOperatorContext('cli:root') });
      const invalid = [
        () => runs.start({ trigger: 'cron' as 'cli', mode: 'full', dryRun: false, requestedBy: localOperatorContext('x') }),
        () => runs.start({ trigger: 'cli', mode: 'partial' as 'full', dryRun: false, requestedBy: localOperatorContext('x') }),
        () => runs.addEntries(runId, [userEntry('explode' as 'create', 1)]),
        () => runs.addEntries(runId, [{ ...userEntry('create', 1), objectType: 'computer' as 'user' }]),
        () => runs.addEntries(runId, [{ ...userEntry('create', 1), anchor: '' }]),
        () => runs.entries(runId, { action: 'explode' as 'create', page: 1, pageSize: 10 }),
        () => runs.finish(runId, { status: 'running' as 'failed', counters: { read: 0, unchanged: 0 } }),
        () => runs.finish(runId, { status: 'failed', counters: { read: -1, unchanged: 0 } }),
        () => runs.finish(runId, { status: 'failed', counters: { read: 0, unchanged: 0 }, usnTo: '12e3' }),
      ];
      for (const attempt of invalid) expect((await rejection(attempt())).kind).to.equal('invalid');
      expect((await runs.get(runId)).status, 'a rejected finish leaves the run running').to.equal('running');
      expect((await runs.entries(runId, { page: 1, pageSize: 10 })).total, 'a rejected batch writes nothing').to.equal(0);
    });

    it('moves the watermark only for a succeeded run that was not a dry run, and keeps 64-bit USNs exact', async () => {
      expect(await runs.getState('other')).to.equal(undefined);
      const running = await runs.start({ trigger: 'schedule', mode: 'delta', dryRun: false, requestedBy: SCHEDULE });
      const state = { key: 'other', invocationId: 'inv-1', usn: '18446744073709551615' };
      expect((await rejection(runs.setState({ ...state, runId: running }))).kind).to.equal('conflict');
      await runs.finish(running, { status: 'failed', counters: { read: 0, unchanged: 0 }, message: 'LDAP timeout' });
      expect((await rejection(runs.setState({ ...state, runId: running }))).kind).to.equal('conflict');
      const dry = await runs.start({ trigger: 'cli', mode: 'delta', dryRun: true, requestedBy: localOperatorContext('cli:root') });
      await runs.finish(dry, { status: 'succeeded', counters: { read: 0, unchanged: 0 } });
      expect((await rejection(runs.setState({ ...state, runId: dry }))).kind).to.equal('conflict');
      expect(await runs.getState('other')).to.equal(undefined);

      const good = await runs.start({ trigger: 'schedule', mode: 'delta', dryRun: false, requestedBy: SCHEDULE });
      await runs.finish(good, { status: 'succeeded', counters: { read: 0, unchanged: 0 }, usnTo: state.usn });
      expect((await runs.get(good)).usnTo).to.equal('18446744073709551615');
      await runs.setState({ ...state, runId: good });
      expect(await runs.getState('other')).to.include({ key: 'other', invocationId: 'inv-1', usn: '18446744073709551615', runId: good });
      await runs.setState({ key: 'other', runId: good, invocationId: 'inv-2', usn: 7n });
      expect(await runs.getState('other')).to.include({ invocationId: 'inv-2', usn: '7' });
      expect(await count(dataSource, 'SELECT COUNT(*) AS n FROM sync_state WHERE state_key = ?', ['other'])).to.equal(1);
    });

    const batchesOf25 = (count: number, from = 0): SyncRunEntryInput[][] =>
      Array.from({ length: count }, (_, b) => Array.from({ length: 25 }, (_, i) => userEntry('update', (from + b) * 100 + i)));

    /** addEntries as 'added', or 'refused' when it is refused as a conflict (the run has finished). */
    const outcomeOf = (adding: Promise<void>): Promise<'added' | 'refused'> => adding.then(() => 'added' as const, (error: unknown) => {
      expect(error).to.be.instanceOf(DomainError);
      expect((error as DomainError).kind).to.equal('conflict');
      return 'refused' as const;
    });

    if (database.name === 'mariadb') {
      // MariaDB only: its transactions run side by side on pooled connections, so batches really race
      // the finish, and only the lock on the run row (requireRunning) keeps the count right. On SQLite
      // every write waits its turn in one queue (src/db/transaction.ts) and nothing can race.
      it('on MariaDB, keeps counters equal to entries when batches race the finish (the run row is locked)', async () => {
        const runId = await runs.start({ trigger: 'schedule', mode: 'full', dryRun: false, requestedBy: SCHEDULE });
        // All at once, nothing awaited in between: the finish runs while batches hold pooled connections
        // mid-write, which is the moment the lock exists for.
        const adds = batchesOf25(12).map((batch) => outcomeOf(runs.addEntries(runId, batch)));
        const finishing = runs.finish(runId, { status: 'succeeded', counters: { read: 300, unchanged: 0 } });
        const [finished, outcomes] = await Promise.all([finishing, Promise.all(adds)]);
        const stored = await count(dataSource, 'SELECT COUNT(*) AS n FROM sync_run_entries WHERE run_id = ?', [runId]);
        expect(stored).to.equal(outcomes.filter((outcome) => outcome === 'added').length * 25);
        expect(finished.counters.updated).to.equal(stored);
      });
    } else {
      it('on SQLite, counts the batches queued before the finish and refuses those queued after it (one write queue)', async () => {
        const runId = await runs.start({ trigger: 'schedule', mode: 'full', dryRun: false, requestedBy: SCHEDULE });
        // All issued at once, none awaited: the queue decides the order, and it is the order of the calls.
        const before = batchesOf25(6).map((batch) => outcomeOf(runs.addEntries(runId, batch)));
        const finishing = runs.finish(runId, { status: 'succeeded', counters: { read: 300, unchanged: 0 } });
        const after = batchesOf25(6, 6).map((batch) => outcomeOf(runs.addEntries(runId, batch)));
        const [beforeOutcomes, finished, afterOutcomes] = await Promise.all([Promise.all(before), finishing, Promise.all(after)]);
        expect(beforeOutcomes).to.deep.equal(['added', 'added', 'added', 'added', 'added', 'added']);
        expect(afterOutcomes).to.deep.equal(['refused', 'refused', 'refused', 'refused', 'refused', 'refused']);
        expect(finished.counters.updated).to.equal(150);
        expect(await count(dataSource, 'SELECT COUNT(*) AS n FROM sync_run_entries WHERE run_id = ?', [runId])).to.equal(150);
      });
    }

    it('deleting a run deletes its entries (foreign key cascade)', async () => {
      const runId = await runs.start({ trigger: 'cli', mode: 'full', dryRun: false, requestedBy: localOperatorContext('cli:root') });
      await runs.addEntries(runId, [userEntry('create', 1), userEntry('create', 2)]);
      await dataSource.query('DELETE FROM sync_runs WHERE id = ?', [runId]);
      expect(await count(dataSource, 'SELECT COUNT(*) AS n FROM sync_run_entries WHERE run_id = ?', [runId])).to.equal(0);
    });
  });

  describe(`scimd sync status and sync report on ${database.name} (spawned CLI)`, function () {
    this.timeout(120_000);
    let config: DatabaseConfig;
    let env: Record<string, string>;
    let dataSource: DataSource;
    let run: SyncRunView;
    let older: SyncRunView;

    before(async () => {
      config = await database.fresh();
      env = cliEnv(config);
      dataSource = await openDataSource(config);
      await dataSource.runMigrations();
    });

    after(async () => {
      await killStrayProcesses();
      await dataSource.destroy();
    });

    it('`sync status` before any run: no run, no watermark, lease free; exit 0', async () => {
      const result = await runScimd(['sync', 'status'], { env });
      expect(result.code, explain(result)).to.equal(0);
      expect(result.stdout).to.match(/No sync run yet/);
      expect(result.stdout).to.match(/Watermark\s+none/);
      expect(result.stdout).to.match(/Lease\s+free/);
      const report = await runScimd(['sync', 'report'], { env });
      expect(report.code, explain(report)).to.equal(3);
      expect(report.stderr).to.match(/No sync run yet/);
    });

    it('`sync status --json`: the latest run, the watermark, the lease holder and recent runs', async () => {
      const runs = new SyncRuns(dataSource);
      const olderId = await runs.start({ trigger: 'schedule', mode: 'full', dryRun: false, requestedBy: SCHEDULE });
      older = await runs.finish(olderId, { status: 'succeeded', counters: { read: 2, unchanged: 2 }, usnTo: 100, invocationId: 'inv-a' });
      await runs.setState({ runId: olderId, invocationId: 'inv-a', usn: 100 });
      const runId = await runs.start({ trigger: 'cli', mode: 'delta', dryRun: false, requestedBy: localOperatorContext('cli:operator') });
      await runs.addEntries(runId, [
        userEntry('create', 1, { dn: 'CN=Doe\\, "Jane",OU=Staff,DC=example,DC=test', changes: [{ attribute: 'displayName', to: 'Jane "JD" Doe' }] }),
        userEntry('update', 2),
        userEntry('error', 3, { changes: [], message: '=HYPERLINK("http://evil") and a line\nbreak' }),
        userEntry('skip', 4, { changes: [], message: 'soft match refused' }),
        { objectType: 'role', action: 'member-add', anchor: userEntry('create', 1).anchor, changes: [{ attribute: 'roles', to: 'Help Desk' }] },
      ]);
      run = await runs.finish(runId, {
        status: 'succeeded', counters: { read: 5, unchanged: 0 }, server: 'dc1.example.test', usnFrom: 100, usnTo: 120,
      });
      expect(await acquireLease(dataSource, SYNC_LEASE, 'replica-a:4242', 60_000)).to.equal(true);

      const result = await runScimd(['sync', 'status', '--json'], { env });
      expect(result.code, explain(result)).to.equal(0);
      const status = JSON.parse(result.stdout) as {
        latest: SyncRunView; watermark: { usn: string; invocationId: string; runId: string };
        lease: { holder: string; active: boolean }; recent: SyncRunView[];
      };
      expect(status.latest.id).to.equal(run.id);
      expect(status.latest.counters).to.deep.equal(run.counters);
      expect(status.watermark).to.include({ usn: '100', invocationId: 'inv-a', runId: older.id });
      expect(status.lease).to.include({ holder: 'replica-a:4242', active: true });
      expect(status.recent.map((item) => item.id)).to.deep.equal([run.id, older.id]);

      const text = await runScimd(['sync', 'status'], { env });
      expect(text.code, explain(text)).to.equal(0);
      expect(text.stdout).to.contain(run.id).and.contain('held by replica-a:4242');
      expect(text.stdout).to.match(/created 1, updated 1, member adds 1, skipped 1, errors 1/);
    });

    it('`sync report` (the latest run) prints the run and a table of its entries', async () => {
      const result = await runScimd(['sync', 'report'], { env });
      expect(result.code, explain(result)).to.equal(0);
      expect(result.stdout).to.match(new RegExp(`^Run\\s+${run.id} succeeded`, 'm'));
      expect(result.stdout).to.match(/^ACTION\s+TYPE\s+ANCHOR\s+DN\s+CHANGES\s+MESSAGE$/m);
      expect(result.stdout).to.match(/^update\s+user\s+\S+2\s+CN=User 2,OU=Staff,DC=example,DC=test\s+title: "Dev" → "Lead"$/m);
      expect(result.stdout).to.match(/^member-add\s+role\s+/m);
    });

    it('`sync report RUN_ID --format json` prints {run, entries}', async () => {
      const result = await runScimd(['sync', 'report', older.id, '--format', 'json'], { env });
      expect(result.code, explain(result)).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({ run: older, entries: [] });
      const latest = await runScimd(['sync', 'report', run.id, '--format', 'json'], { env });
      const parsed = JSON.parse(latest.stdout) as { run: SyncRunView; entries: { action: string }[] };
      expect(parsed.run).to.deep.equal(run);
      expect(parsed.entries.map((entry) => entry.action)).to.deep.equal(['create', 'update', 'error', 'skip', 'member-add']);
    });

    it('`--format csv` writes one quoted RFC 4180 record per entry, formulas defused; `--errors` keeps error and skip', async () => {
      const result = await runScimd(['sync', 'report', run.id, '--format', 'csv'], { env });
      expect(result.code, explain(result)).to.equal(0);
      const records = parseCsv(result.stdout);
      expect(records[0]).to.deep.equal(['anchor', 'dn', 'object_type', 'action', 'changes', 'message']);
      expect(records).to.have.length(6);
      expect(records[1]).to.deep.equal([userEntry('create', 1).anchor, 'CN=Doe\\, "Jane",OU=Staff,DC=example,DC=test', 'user',
        'create', 'displayName: (none) → "Jane \\"JD\\" Doe"', '']);
      expect(records[3]?.[5]).to.equal('\'=HYPERLINK("http://evil") and a line\nbreak');

      const errors = await runScimd(['sync', 'report', '--errors', '--format', 'csv'], { env });
      expect(errors.code, explain(errors)).to.equal(0);
      expect(parseCsv(errors.stdout).slice(1).map((record) => record[3])).to.deep.equal(['error', 'skip']);
    });

    it('exits 3 for an unknown RUN_ID and non-zero for an unknown format', async () => {
      const unknown = await runScimd(['sync', 'report', '00000000-0000-4000-8000-0000000000ff'], { env });
      expect(unknown.code, explain(unknown)).to.equal(3);
      expect(unknown.stderr).to.match(/No sync run "00000000-0000-4000-8000-0000000000ff"/);
      expect(unknown.stdout).to.equal('');
      const format = await runScimd(['sync', 'report', '--format', 'xml'], { env });
      expect(format.code, explain(format)).to.not.equal(0);
      expect(format.stderr).to.match(/xml/);
    });
  });
}
