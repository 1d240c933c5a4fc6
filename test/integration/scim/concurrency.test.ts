import { expect } from 'chai';
import { expectScimError, rows } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import {
  ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply,
} from '../../support/test-server';

/** What identity providers do: many requests at once, on the same resources, over real HTTP. */

/** Creates a user and returns its id (fails the test on anything but 201). */
async function createUser(scim: ScimClient, userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await scim.post('/Users', { schemas: [USER_SCHEMA], userName, ...extra });
  expect(reply.status, reply.text).to.equal(201);
  return reply.body.id as string;
}

/** `text` with the case of its letters chosen by the bits of `n`. */
function caseVariant(text: string, n: number): string {
  let bit = 0;
  return [...text].map((ch) => {
    if (ch.toLowerCase() === ch.toUpperCase()) return ch;
    const upper = ((n >> bit) & 1) === 1;
    bit += 1;
    return upper ? ch.toUpperCase() : ch.toLowerCase();
  }).join('');
}

const statuses = (replies: readonly ScimReply[]): number[] => replies.map((reply) => reply.status).sort((a, b) => a - b);

const describeReplies = (replies: readonly ScimReply[]): string =>
  replies.map((reply) => `${reply.status} ${reply.text.slice(0, 160)}`).join('\n');

for (const database of testDatabases()) {
  describe(`Concurrent SCIM writes on ${database.name}`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let scim: ScimClient;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      scim = server.client(await server.token('entra', ['SCIM Provisioning']));
    });

    after(async () => {
      await server?.stop();
    });

    it('adds every member when 50 PATCHes each add a different member to one group at once', async () => {
      const userIds: string[] = [];
      for (let i = 0; i < 50; i++) userIds.push(await createUser(scim, `member${i}@example.com`));
      const created = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Crowd' });
      expect(created.status, created.text).to.equal(201);
      const groupId = created.body.id as string;

      const replies = await Promise.all(userIds.map((userId) => scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
      })));

      for (const reply of replies) expect(reply.status, describeReplies(replies)).to.be.within(200, 299);
      const group = await scim.get(`/Groups/${groupId}`);
      expect(group.status, group.text).to.equal(200);
      const members = (group.body.members as { value: string }[]).map((member) => member.value).sort();
      expect(members).to.deep.equal([...userIds].sort());
      const stored = await rows(server, 'SELECT user_id FROM role_members WHERE role_id = ?', [groupId]);
      expect(stored.map((row) => row.user_id).sort()).to.deep.equal([...userIds].sort());
      // Each change bumped the version once.
      expect((group.body.meta as { version: string }).version).to.equal('W/"51"');
    });

    it('lets exactly one of two PUTs with the same If-Match win, five times over', async () => {
      const userId = await createUser(scim, 'contested@example.com', { displayName: 'Original' });
      for (let round = 0; round < 5; round++) {
        const current = await scim.get(`/Users/${userId}`);
        const etag = current.headers.get('etag') ?? '';
        expect(etag, current.text).to.match(/^W\/"\d+"$/);
        const bodies = ['A', 'B'].map((side) => ({
          schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
          userName: 'contested@example.com',
          displayName: `Written by ${side} in round ${round}`,
          title: `Title ${side}`,
          [ENTERPRISE_SCHEMA]: { department: `Department ${side}` },
        }));
        const replies = await Promise.all(bodies.map((body) => scim.put(`/Users/${userId}`, body, { 'If-Match': etag })));

        expect(statuses(replies), describeReplies(replies)).to.deep.equal([200, 412]);
        const winnerIndex = replies.findIndex((reply) => reply.status === 200);
        const winner = replies[winnerIndex] as ScimReply;
        const loser = replies[1 - winnerIndex] as ScimReply;
        expectScimError(loser, 412);
        const written = bodies[winnerIndex] as Record<string, unknown>;
        expect(winner.body).to.deep.include({
          displayName: written.displayName, title: written.title, [ENTERPRISE_SCHEMA]: written[ENTERPRISE_SCHEMA],
        });
        const stored = await scim.get(`/Users/${userId}`);
        expect(stored.body, 'the stored user is the winner').to.deep.equal(winner.body);
        expect(stored.headers.get('etag')).to.equal(winner.headers.get('etag'));
        expect(stored.headers.get('etag')).to.not.equal(etag);
      }
    });

    it('creates one user when 20 POSTs race with the same userName in different case', async () => {
      const base = 'race.condition@example.com';
      const names = Array.from({ length: 20 }, (_unused, index) => caseVariant(base, index * 7919 + 1));
      expect(new Set(names).size).to.equal(20);
      const before = Number((await rows(server, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'user.create'"))[0]?.n);

      const replies = await Promise.all(names.map((userName) => scim.post('/Users', {
        schemas: [USER_SCHEMA], userName, displayName: userName,
      })));

      expect(statuses(replies), describeReplies(replies)).to.deep.equal([201, ...Array<number>(19).fill(409)]);
      for (const reply of replies) if (reply.status === 409) expectScimError(reply, 409, 'uniqueness');
      const winner = replies.find((reply) => reply.status === 201) as ScimReply;
      const stored = await rows(server, 'SELECT id, user_name FROM users WHERE user_name_key = ?', [base]);
      expect(stored).to.have.length(1);
      expect(stored[0]?.id).to.equal(winner.body.id);
      expect(stored[0]?.user_name).to.equal(winner.body.userName);
      const after = Number((await rows(server, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'user.create'"))[0]?.n);
      expect(after - before, 'one user.create audit event').to.equal(1);
      const found = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${base.toUpperCase()}"`)}`);
      expect(found.body.totalResults).to.equal(1);
    });

    it('applies every one of concurrent PATCHes without If-Match to different attributes of one user', async () => {
      const userId = await createUser(scim, 'busy@example.com', { schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA] });
      const changes: ReadonlyArray<readonly [string, unknown]> = [
        ['displayName', 'Busy Bee'],
        ['nickName', 'Bee'],
        ['title', 'Worker'],
        ['userType', 'Employee'],
        ['locale', 'en-GB'],
        ['timezone', 'Europe/London'],
        ['preferredLanguage', 'en'],
        ['name.givenName', 'Busy'],
        ['name.familyName', 'Bee'],
        [`${ENTERPRISE_SCHEMA}:department`, 'Hive'],
      ];
      const replies = await Promise.all(changes.map(([path, value]) => scim.patch(`/Users/${userId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path, value }],
      })));

      expect(statuses(replies), describeReplies(replies)).to.deep.equal(Array<number>(changes.length).fill(200));
      const stored = await scim.get(`/Users/${userId}`);
      expect(stored.body).to.deep.include({
        userName: 'busy@example.com', displayName: 'Busy Bee', nickName: 'Bee', title: 'Worker', userType: 'Employee',
        locale: 'en-GB', timezone: 'Europe/London', preferredLanguage: 'en',
        name: { givenName: 'Busy', familyName: 'Bee' }, [ENTERPRISE_SCHEMA]: { department: 'Hive' },
      });
      expect((stored.body.meta as { version: string }).version).to.equal(`W/"${changes.length + 1}"`);
    });

    it('applies every one of concurrent PATCHes without If-Match to the attributes of one group', async () => {
      const created = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Renamed often' });
      expect(created.status, created.text).to.equal(201);
      const groupId = created.body.id as string;
      const memberId = await createUser(scim, 'joiner@example.com');
      // Attribute changes (which need the version) racing with each other and with a membership change.
      const operations: unknown[] = [
        ...Array.from({ length: 8 }, (_unused, index) => ({ op: 'replace', path: 'externalId', value: `ext-${index}` })),
        { op: 'replace', path: 'displayName', value: 'Renamed at last' },
        { op: 'add', path: 'members', value: [{ value: memberId }] },
      ];
      const replies = await Promise.all(operations.map((operation) => scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA], Operations: [operation],
      })));

      for (const reply of replies) expect(reply.status, describeReplies(replies)).to.be.within(200, 299);
      const stored = await scim.get(`/Groups/${groupId}`);
      expect(stored.body.displayName).to.equal('Renamed at last');
      expect(stored.body.externalId).to.match(/^ext-[0-7]$/);
      expect((stored.body.members as { value: string }[]).map((member) => member.value)).to.deep.equal([memberId]);
    });
  });
}
