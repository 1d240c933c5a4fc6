import { expect } from 'chai';
import { MAX_ATTRIBUTE_NAMES, projectorsBuilt, userResourceSchema } from '../../../scim/schema';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply } from '../../support/test-server';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
/** A full page: the measured stall was a long attribute list over 1,000 results. */
const USERS = 1000;
/** One name more than the bound allows, every one distinct (unknown names count too). */
const OVERSIZED = Array.from({ length: MAX_ATTRIBUTE_NAMES + 1 }, (_, i) => `x${i}`);
/** 20,000 names, the size of the measured stall, but only three distinct ones in assorted case. */
const DUPLICATES = Array.from({ length: 20_000 }, (_, i) =>
  ['userName', 'TITLE', `${USER_SCHEMA}:username`, 'Title', 'nickName.nope'][i % 5] as string);

function expectTooManyNames(reply: ScimReply, what: string): void {
  expect(reply.status, `${what}: ${reply.text.slice(0, 200)}`).to.equal(400);
  expect(reply.body.scimType, what).to.equal('invalidValue');
  expect(reply.body.detail, what).to.be.a('string').that.includes(String(MAX_ATTRIBUTE_NAMES));
}

for (const database of testDatabases()) {
  describe(`Attribute projection lists on ${database.name} (RFC 7644 §3.4.2.5)`, () => {
    let server: TestServer;
    let scim: ScimClient;
    let userId: string;
    let groupId: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      const created = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'ada@example.com', title: 'Countess' });
      expect(created.status).to.equal(201);
      userId = created.body.id as string;
      const group = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Analysts', members: [{ value: userId }] });
      expect(group.status).to.equal(201);
      groupId = group.body.id as string;
      // The rest of the page straight into the table: what is under test is the response, not the writes.
      const start = Date.now();
      const rows = Array.from({ length: USERS - 1 }, (_, n) => {
        const name = `user${String(n).padStart(4, '0')}@example.com`;
        const at = new Date(start + n + 1).toISOString();
        return [`00000000-0000-4000-b000-${String(n).padStart(12, '0')}`, name, name,
          JSON.stringify({ userName: name, title: 'Clerk', nickName: 'n' }), at, at];
      });
      for (let offset = 0; offset < rows.length; offset += 250) {
        const batch = rows.slice(offset, offset + 250);
        await server.running.dataSource.query(`INSERT INTO users (id, user_name, user_name_key, profile, created_at, updated_at) VALUES ${
          batch.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, batch.flat());
      }
    });

    after(async () => {
      await server.stop();
    });

    it(`refuses a list of more than ${MAX_ATTRIBUTE_NAMES} distinct names with 400 invalidValue at every door`, async () => {
      const names = OVERSIZED.join(',');
      expectTooManyNames(await scim.get(`/Users?attributes=${names}`), 'GET /Users attributes');
      expectTooManyNames(await scim.get(`/Users/${userId}?excludedAttributes=${names}`), 'GET /Users/{id} excludedAttributes');
      expectTooManyNames(await scim.get(`/Groups/${groupId}?attributes=${names}`), 'GET /Groups/{id} attributes');
      expectTooManyNames(await scim.post('/Users/.search', { schemas: [SEARCH], attributes: OVERSIZED }), 'POST /Users/.search');
      expectTooManyNames(await scim.post('/.search', { schemas: [SEARCH], excludedAttributes: OVERSIZED }), 'POST /.search');
    });

    it('refuses an oversized list on a write before writing anything', async () => {
      const audit = await server.count('audit_events');
      const put = await scim.put(`/Users/${userId}?attributes=${OVERSIZED.join(',')}`,
        { schemas: [USER_SCHEMA], userName: 'ada@example.com', title: 'Changed' });
      expectTooManyNames(put, 'PUT /Users/{id}');
      const patch = await scim.patch(`/Groups/${groupId}?excludedAttributes=${OVERSIZED.join(',')}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }],
      });
      expectTooManyNames(patch, 'PATCH /Groups/{id}');
      expect(await server.count('audit_events')).to.equal(audit);
      expect((await scim.get(`/Users/${userId}?attributes=title`)).body.title).to.equal('Countess');
      expect((await scim.get(`/Groups/${groupId}?attributes=displayName`)).body.displayName).to.equal('Analysts');
    });

    it('answers 20,000 names of which three are distinct over 1,000 users, through one projector', async () => {
      const before = projectorsBuilt(userResourceSchema);
      const reply = await scim.post('/Users/.search', { schemas: [SEARCH], attributes: DUPLICATES, count: USERS });
      expect(reply.status, reply.text.slice(0, 200)).to.equal(200);
      expect(projectorsBuilt(userResourceSchema) - before).to.equal(1);
      const resources = reply.body.Resources as Record<string, unknown>[];
      expect(resources).to.have.length(USERS);
      expect(resources[0]).to.deep.equal({ schemas: [USER_SCHEMA], id: userId, userName: 'ada@example.com', title: 'Countess' });
      expect(resources.filter((resource) => Object.keys(resource).sort().join() !== 'id,schemas,title,userName')).to.deep.equal([]);
    });

    it('answers a list at the bound, with duplicates, on a single resource and a group', async () => {
      // Exactly MAX_ATTRIBUTE_NAMES distinct names once duplicates are counted once.
      const atBound = [...OVERSIZED.slice(2), 'DisplayName', 'displayname'];
      const group = await scim.get(`/Groups/${groupId}?attributes=${atBound.join(',')}`);
      expect(group.status, group.text.slice(0, 200)).to.equal(200);
      expect(group.body).to.deep.equal({ schemas: [GROUP_SCHEMA], id: groupId, displayName: 'Analysts' });
      const user = await scim.get(`/Users/${userId}?excludedAttributes=${[...OVERSIZED.slice(3), 'GROUPS', 'groups', 'meta', 'Meta'].join(',')}`);
      expect(user.status, user.text.slice(0, 200)).to.equal(200);
      expect(user.body).to.not.have.property('groups');
      expect(user.body).to.not.have.property('meta');
      expect(user.body.title).to.equal('Countess');
    });

    it('answers /livez while such a request is under way', async () => {
      const before = projectorsBuilt(userResourceSchema);
      const search = scim.post('/Users/.search', { schemas: [SEARCH], attributes: DUPLICATES, count: USERS });
      const live = fetch(`${server.running.url}/livez`);
      const [searched, alive] = await Promise.all([search, live]);
      expect(alive.status).to.equal(200);
      expect(await alive.json()).to.deep.equal({ status: 'ok' });
      expect(searched.status).to.equal(200);
      expect(searched.body.Resources).to.have.length(USERS);
      expect(projectorsBuilt(userResourceSchema) - before).to.equal(1);
    });
  });
}
