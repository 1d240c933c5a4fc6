import { expect } from 'chai';
import type { SyncConfig } from '../../../src/config';
import { getLease } from '../../../src/db/lease';
import { onSyncRunFinished } from '../../../src/governance/sync-run-events';
import { SYNC_LEASE, type SyncRunView } from '../../../src/governance/sync-runs';
import { createLogger } from '../../../src/logger';
import { runSync } from '../../../sync/run';
import { testDatabases } from '../../support/databases';
import { TestDirectory, testSyncLdapConfig } from '../../support/directory';
import { parseExposition, valueOf, type Exposition } from '../../support/prometheus';
import { TestServer } from '../../support/test-server';

const USERS = 3;

/** Resolves with the next run ended through the server's database, or fails after `ms`. */
function nextRunEnd(server: TestServer, ms: number): Promise<SyncRunView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no sync run ended within ${ms} ms`));
    }, ms);
    const stop = onSyncRunFinished(server.running.dataSource, (run) => {
      clearTimeout(timer);
      stop();
      resolve(run);
    });
  });
}

/**
 * Resolves once nobody holds the sync lease, or fails after `ms`. A run is announced as ended when its
 * record is (SyncRuns.finish), a moment before runSync lets its lease go: a run started in that moment
 * is refused as busy.
 */
async function leaseReleased(server: TestServer, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (await getLease(server.running.dataSource, SYNC_LEASE) !== undefined) {
    if (Date.now() > deadline) throw new Error(`the sync lease was still held ${ms} ms after the run ended`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The sync's metrics after real runs against the Samba test directory, scraped over HTTP. */
for (const database of testDatabases()) {
  describe(`Sync metrics after real runs against the test directory, on ${database.name}`, function () {
    this.timeout(60_000);
    let dir: TestDirectory;
    let server: TestServer;
    let config: SyncConfig;
    let token: string;

    const scrape = async (): Promise<Exposition> => {
      const response = await fetch(`${server.running.url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).to.equal(200);
      return parseExposition(await response.text());
    };
    /** How much each sample grew between two scrapes (the LDAP histogram is the whole process's). */
    const grew = (before: Exposition, after: Exposition, name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);

    before(async () => {
      dir = await TestDirectory.open();
      const suite = await dir.createSuiteOu(`metrics-${database.name}`);
      const people = await dir.createOu('People', suite);
      // sAMAccountName is unique in the whole domain: each database's suite gets its own prefix.
      await dir.createUsers(people, USERS, (i) => dir.sampleUser(`m${database.name.slice(0, 1)}${i}`));
      config = {
        ldap: testSyncLdapConfig(),
        baseDns: [people],
        userFilter: '(&(objectCategory=person)(objectClass=user))',
        groupFilter: '(objectClass=group)',
        deleteThreshold: 500,
        deleteThresholdPercent: 10,
        deletePolicy: 'deactivate',
        softMatchByUserName: false,
        schedulerEnabled: false,
      };
      server = await TestServer.start(await database.fresh(), { sync: config });
      token = await server.token('prometheus', ['Full API Access']);
    });

    after(async () => {
      await server?.stop();
      await dir?.close();
    });

    it('counts a run started over the admin API by mode and status, its objects by action, and its LDAP operations', async () => {
      const before = await scrape();
      expect(valueOf(before, 'scimd_sync_seconds_since_last_success'), 'no run yet').to.equal(Number.POSITIVE_INFINITY);
      const ended = nextRunEnd(server, 45_000);
      const started = await fetch(`${server.running.url}/admin/api/sync/runs`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}',
      });
      expect(started.status, await started.clone().text()).to.equal(202);
      const run = await ended;
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.counters.created).to.equal(USERS);

      const after = await scrape();
      expect(valueOf(after, 'scimd_sync_runs_total', { mode: 'full', status: 'succeeded' })).to.equal(1);
      expect(valueOf(after, 'scimd_sync_objects_total', { action: 'created' })).to.equal(USERS);
      expect(valueOf(after, 'scimd_sync_objects_total', { action: 'deleted' }), 'no action it did not take').to.equal(0);
      expect(grew(before, after, 'scimd_ldap_operation_duration_seconds_count', { operation: 'bind', outcome: 'ok' })).to.be.at.least(1);
      expect(grew(before, after, 'scimd_ldap_operation_duration_seconds_count', { operation: 'search', outcome: 'ok' })).to.be.at.least(1);
      const age = valueOf(after, 'scimd_sync_seconds_since_last_success');
      expect(age).to.be.at.least(0);
      expect(Number.isFinite(age), 'a run has succeeded').to.equal(true);
      // The next test starts a run of its own: the lease of this one must have been let go.
      await leaseReleased(server, 10_000);
    });

    it('counts a failed run whoever starts it, with its refused bind, and keeps the age of the last success', async () => {
      const before = await scrape();
      const run = await runSync({
        dataSource: server.running.dataSource, logger: createLogger('silent'),
        config: { ...config, ldap: { ...config.ldap, bindPassword: 'not-the-password' } },
      }, { trigger: 'cli' });
      expect(run.status).to.equal('failed');

      const after = await scrape();
      expect(grew(before, after, 'scimd_sync_runs_total', { status: 'failed' })).to.equal(1);
      expect(grew(before, after, 'scimd_sync_runs_total', { status: 'succeeded' })).to.equal(0);
      expect(grew(before, after, 'scimd_ldap_operation_duration_seconds_count', { operation: 'bind', outcome: 'error' })).to.equal(1);
      expect(grew(before, after, 'scimd_sync_objects_total', {}), 'a failed run acted on nothing').to.equal(0);
      expect(Number.isFinite(valueOf(after, 'scimd_sync_seconds_since_last_success')), 'the earlier success still counts').to.equal(true);
    });
  });
}
