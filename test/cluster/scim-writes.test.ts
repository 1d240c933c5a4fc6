import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { clusterUrls, prepareCluster, startReplica } from '../support/cluster';
import { explain, runScimd, useSpawnedProcesses, type ServeProcess } from '../support/processes';
import { GROUP_SCHEMA, PATCH_SCHEMA, ScimClient, USER_SCHEMA, type ScimReply } from '../support/test-server';

/**
 * Two scimd replicas writing the same resources at the same time through different nodes of a
 * three-node Galera cluster. Conflicting transactions there fail Galera's certification at commit
 * (or deadlock locally); scimd reruns them (src/db/conflict-retry.ts), so every request ends in
 * its SCIM answer, none in a 500, and nothing written by one replica is lost by the other.
 */
describe('Scale-out › SCIM writes through two replicas on a Galera cluster', function () {
  this.timeout(120_000);
  useSpawnedProcesses('scimd-cluster-scim-', () => undefined);

  const suite = randomBytes(3).toString('hex');
  let replicas: ServeProcess[] = [];
  let clients: ScimClient[] = [];

  before(async () => {
    const [node1, node2] = clusterUrls() as [string, string];
    const token = await prepareCluster(node1, `cluster-scim-${suite}`, 'SCIM Provisioning');
    replicas = await Promise.all([startReplica(node1), startReplica(node2)]);
    clients = replicas.map((replica) => new ScimClient(`${replica.baseUrl}/scim/v2`, token));
  });

  /** Client i % 2: alternate requests between the replicas. */
  const via = (i: number): ScimClient => clients[i % 2] as ScimClient;

  function expectStatuses(replies: readonly ScimReply[], wanted: number): void {
    const unexpected = replies.filter((reply) => reply.status !== wanted).map((reply) => `${reply.status} ${reply.text}`);
    expect(unexpected, `answers other than ${wanted}`).to.deep.equal([]);
  }

  async function createUsers(prefix: string, count: number): Promise<string[]> {
    const replies = await Promise.all(Array.from({ length: count }, (_, i) => via(i).post('/Users', {
      schemas: [USER_SCHEMA], userName: `${prefix}-${i}@cluster.test`,
    })));
    expectStatuses(replies, 201);
    return replies.map((reply) => reply.body.id as string);
  }

  it('creates users concurrently through both replicas, each visible through the other', async () => {
    const prefix = `create-${suite}`;
    const ids = await createUsers(prefix, 40);
    expect(new Set(ids).size).to.equal(40);
    for (const client of clients) {
      const listed = await client.get(`/Users?filter=${encodeURIComponent(`userName sw "${prefix}-"`)}&count=100&attributes=id`);
      expect(listed.status, listed.text).to.equal(200);
      const found = (listed.body.Resources as { id: string }[]).map((user) => user.id);
      expect(found).to.have.members(ids);
    }
  });

  it('loses no member when both replicas PATCH the same group at once', async () => {
    const group = await via(0).post('/Groups', { schemas: [GROUP_SCHEMA], displayName: `cluster-group-${suite}` });
    expect(group.status, group.text).to.equal(201);
    const groupId = group.body.id as string;
    const members = await createUsers(`member-${suite}`, 40);
    const added = await Promise.all(members.map((member, i) => via(i).patch(`/Groups/${groupId}`, {
      schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: member }] }],
    })));
    expectStatuses(added, 204);

    // Removals through one replica racing additions through the other.
    const removed = members.slice(0, 10);
    const late = await createUsers(`late-${suite}`, 10);
    const mixed = await Promise.all([
      ...removed.map((member) => via(0).patch(`/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${member}"]` }],
      })),
      ...late.map((member) => via(1).patch(`/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: member }] }],
      })),
    ]);
    expectStatuses(mixed, 204);

    const expected = [...members.slice(10), ...late];
    for (const client of clients) {
      const read = await client.get(`/Groups/${groupId}`);
      expect(read.status, read.text).to.equal(200);
      expect((read.body.members as { value: string }[]).map((member) => member.value)).to.have.members(expected);
      expect((read.body.meta as { version: string }).version, 'one version bump per applied PATCH')
        .to.equal(`W/"${1 + members.length + removed.length + late.length}"`);
    }
  });

  it('lets exactly one of two racing If-Match PATCHes win; the other gets 412', async () => {
    const [id] = await createUsers(`etag-${suite}`, 1) as [string];
    for (let round = 0; round < 8; round++) {
      const current = await via(round).get(`/Users/${id}`);
      expect(current.status, current.text).to.equal(200);
      const etag = current.headers.get('etag') ?? '';
      expect(etag).to.match(/^W\/"\d+"$/);
      const replies = await Promise.all(clients.map((client, i) => client.patch(`/Users/${id}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: `round ${round} by replica ${i}` }],
      }, { 'If-Match': etag })));
      const statuses = replies.map((reply) => reply.status).sort();
      expect(statuses, `round ${round}: ${replies.map((reply) => reply.text).join(' | ')}`).to.deep.equal([200, 412]);
      const winner = replies.findIndex((reply) => reply.status === 200);
      for (const client of clients) {
        const after = await client.get(`/Users/${id}`);
        expect(after.body.title, `round ${round}: the winner's write, read through either replica`).to.equal(`round ${round} by replica ${winner}`);
      }
    }
  });

  it('kept one unbroken audit chain through all of it, read on the third node', async () => {
    const verified = await runScimd(['audit', 'verify', '--json'], { env: { DATABASE_URL: clusterUrls()[2] } });
    expect(verified.code, explain(verified)).to.equal(0);
    // Each write above appended its events to the chain while racing the other replica's.
    expect((JSON.parse(verified.stdout) as { count: number }).count).to.be.greaterThan(140);
  });

  it('answered no request with a 500', () => {
    for (const replica of replicas) {
      const errors = replica.logLines().filter((line) => line.status === 500 || line.level === 50);
      expect(errors, replica.describe()).to.deep.equal([]);
    }
  });
});
