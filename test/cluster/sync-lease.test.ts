import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { clusterUrls, eventually, prepareCluster, startReplica } from '../support/cluster';
import { TestDirectory, testDirectoryEnv } from '../support/directory';
import { useSpawnedProcesses, type ServeProcess } from '../support/processes';
import { ScimClient } from '../support/test-server';

/**
 * The sync lease on a Galera cluster: replicas on different nodes ask for a sync at the same time
 * and exactly one runs it; a holder killed mid-run (SIGKILL: no release, no report) blocks the
 * others until its lease expires, then another replica takes over and the dead run ends failed.
 * SYNC_LEASE_TTL_SECONDS is 3 here (renewed every second), so expiry takes seconds, not minutes.
 */
const LEASE_TTL_SECONDS = 3;
// Enough that a run lasts longer than two simultaneous requests take to arrive (about a second on Galera).
const USERS = 200;

interface RunView {
  readonly id: string;
  readonly status: string;
  readonly message: string | null;
  readonly counters: Record<string, number>;
}

describe('Scale-out › the sync lease across replicas on a Galera cluster', function () {
  this.timeout(120_000);
  useSpawnedProcesses('scimd-cluster-sync-', () => undefined);

  const suite = randomBytes(3).toString('hex');
  let nodes: string[] = [];
  let token = '';
  let syncEnv: Record<string, string> = {};
  let replicas: ServeProcess[] = [];

  before(async () => {
    nodes = clusterUrls();
    const directory = await TestDirectory.open();
    let ou: string;
    try {
      ou = await directory.createSuiteOu('cluster-sync');
      await directory.createUsers(ou, USERS, (i) => directory.sampleUser(`cl${suite}${String(i).padStart(3, '0')}`));
    } finally {
      await directory.close();
    }
    const ldap = testDirectoryEnv();
    syncEnv = {
      LDAP_URL: ldap.url, LDAP_BIND_DN: ldap.bindDn, LDAP_BIND_PASSWORD: ldap.bindPassword, SYNC_BASE_DNS: ou,
      ...(ldap.caFile ? { LDAP_CA_FILE: ldap.caFile } : {}), ...(ldap.servername ? { LDAP_TLS_SERVERNAME: ldap.servername } : {}),
      // Runs only when asked through the admin API, so that every run here is one the test started.
      SYNC_SCHEDULER: 'false', SYNC_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS),
    };
    token = await prepareCluster(nodes[0] as string, `cluster-sync-${suite}`, 'Full API Access');
    replicas = await Promise.all([startReplica(nodes[0] as string, syncEnv), startReplica(nodes[1] as string, syncEnv)]);
  });

  async function admin(replica: ServeProcess, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${replica.baseUrl}/admin/api${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
  }

  async function run(replica: ServeProcess, id: string): Promise<RunView> {
    const reply = await admin(replica, 'GET', `/sync/runs/${id}`);
    expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
    return reply.body as unknown as RunView;
  }

  const finished = (replica: ServeProcess, id: string): Promise<RunView> => eventually(`sync run ${id} to end`, 60_000, async () => {
    const view = await run(replica, id);
    return view.status === 'running' ? undefined : view;
  });

  async function syncedUsers(replica: ServeProcess): Promise<number> {
    const scim = new ScimClient(`${replica.baseUrl}/scim/v2`, token);
    const listed = await scim.get(`/Users?filter=${encodeURIComponent(`userName sw "cl${suite}"`)}&count=0`);
    expect(listed.status, listed.text).to.equal(200);
    return listed.body.totalResults as number;
  }

  it('runs exactly one of two syncs asked for at once on different replicas', async () => {
    const replies = await Promise.all(replicas.map((replica) => admin(replica, 'POST', '/sync/runs', { mode: 'full' })));
    expect(replies.map((reply) => reply.status).sort(), JSON.stringify(replies.map((reply) => reply.body))).to.deep.equal([202, 409]);
    const winner = replies.findIndex((reply) => reply.status === 202);
    const loser = replicas[1 - winner] as ServeProcess;
    const ended = await finished(loser, replies[winner]?.body.runId as string);
    expect(ended.status, ended.message ?? '').to.equal('succeeded');
    expect(ended.counters.created).to.equal(USERS);
    const listed = await admin(loser, 'GET', '/sync/runs');
    expect(listed.body.total, 'one run recorded').to.equal(1);
    for (const replica of replicas) expect(await syncedUsers(replica)).to.equal(USERS);
  });

  it('lets another replica take over after the lease of a holder killed mid-run expires; the dead run ends failed', async () => {
    const doomed = await startReplica(nodes[2] as string, syncEnv);
    const started = await admin(doomed, 'POST', '/sync/runs', { mode: 'full' });
    expect(started.status, JSON.stringify(started.body)).to.equal(202);
    const deadRunId = started.body.runId as string;
    await doomed.stop('SIGKILL');

    const survivor = replicas[0] as ServeProcess;
    expect((await run(survivor, deadRunId)).status, 'the killed run was still going').to.equal('running');
    const blocked = await admin(survivor, 'POST', '/sync/runs', { mode: 'full' });
    expect(blocked.status, `the dead holder's lease still holds: ${JSON.stringify(blocked.body)}`).to.equal(409);

    const takeover = await eventually('the lease to expire and a run to start', (LEASE_TTL_SECONDS + 20) * 1000, async () => {
      const reply = await admin(survivor, 'POST', '/sync/runs', { mode: 'full' });
      if (reply.status === 409) return undefined;
      expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
      return reply.body.runId as string;
    });
    const ended = await finished(survivor, takeover);
    expect(ended.status, ended.message ?? '').to.equal('succeeded');
    const dead = await run(replicas[1] as ServeProcess, deadRunId);
    expect(dead.status).to.equal('failed');
    expect(dead.message).to.match(/abandoned/);
    for (const replica of replicas) expect(await syncedUsers(replica)).to.equal(USERS);
  });
});
