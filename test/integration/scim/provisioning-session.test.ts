import { expect } from 'chai';
import { testDatabases } from '../../support/databases';
import {
  ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient,
} from '../../support/test-server';

/** What an identity provider does in a day, over real HTTP, start to finish. */
for (const database of testDatabases()) {
  describe(`A provisioning session on ${database.name}`, () => {
    let server: TestServer;
    let scim: ScimClient;
    let userId: string;
    let secondUserId: string;
    let groupId: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
    });

    after(async () => {
      await server.stop();
    });

    it('creates a user (201, Location, ETag, meta)', async () => {
      const reply = await scim.post('/Users', {
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
        userName: 'Barbara.Jensen@example.com',
        externalId: 'bjensen',
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
        active: true,
        [ENTERPRISE_SCHEMA]: { department: 'Tour Operations', employeeNumber: '701984' },
      });
      expect(reply.status).to.equal(201);
      expect(reply.headers.get('content-type')).to.match(/^application\/scim\+json/);
      userId = reply.body.id as string;
      const meta = reply.body.meta as Record<string, string>;
      expect(reply.headers.get('location')).to.equal(`${scim.baseUrl}/Users/${userId}`);
      expect(meta.location).to.equal(reply.headers.get('location'));
      expect(meta.resourceType).to.equal('User');
      expect(meta.version).to.equal('W/"1"');
      expect(reply.headers.get('etag')).to.equal('W/"1"');
      expect(Date.parse(meta.created ?? '')).to.be.greaterThan(0);
      expect(reply.body.schemas).to.deep.equal([USER_SCHEMA, ENTERPRISE_SCHEMA]);
      expect(reply.body[ENTERPRISE_SCHEMA]).to.deep.equal({ department: 'Tour Operations', employeeNumber: '701984' });
    });

    it('finds the user by userName eq, case-insensitively', async () => {
      const reply = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "barbara.jensen@EXAMPLE.com"')}`);
      expect(reply.status).to.equal(200);
      expect(reply.body.totalResults).to.equal(1);
      expect(reply.body.itemsPerPage).to.equal(1);
      expect(reply.body.startIndex).to.equal(1);
      const [found] = reply.body.Resources as Record<string, unknown>[];
      expect(found?.id).to.equal(userId);
    });

    it('answers an unknown userName with an empty list, not 404', async () => {
      const reply = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
      expect(reply.status).to.equal(200);
      expect(reply.body.totalResults).to.equal(0);
      expect(reply.body.Resources).to.deep.equal([]);
    });

    it('filters on enterprise, multi-valued and combined attributes', async () => {
      const second = await scim.post('/Users', {
        schemas: [USER_SCHEMA], userName: 'ted@example.com', title: 'Engineer',
        emails: [{ value: 'ted@example.org', type: 'home' }],
      });
      expect(second.status).to.equal(201);
      secondUserId = second.body.id as string;
      const cases: [string, string[]][] = [
        [`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations"`, [userId]],
        ['emails.value co "example.org"', [secondUserId]],
        ['emails[type eq "work" and value ew "@example.com"]', [userId]],
        ['title pr', [secondUserId]],
        ['not (title pr)', [userId]],
        ['userName sw "TED" or externalId eq "bjensen"', [userId, secondUserId]],
        ['externalId eq "BJENSEN"', []],
        ['(active eq true) and (name.familyName eq "jensen" or title eq "x")', [userId]],
        ['meta.created gt "2000-01-01T00:00:00Z"', [userId, secondUserId]],
        ['userName ne "ted@example.com"', [userId]],
        ['name pr', [userId]],
        ['not (name pr) and emails pr', [secondUserId]],
        ['addresses pr or photos pr', []],
      ];
      for (const [filter, expected] of cases) {
        const reply = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
        expect(reply.status, filter).to.equal(200);
        const ids = (reply.body.Resources as { id: string }[]).map((r) => r.id).sort();
        expect(ids, filter).to.deep.equal([...expected].sort());
      }
    });

    it('pages, sorts and projects a list', async () => {
      const page = await scim.get('/Users?startIndex=2&count=1&sortBy=userName&sortOrder=descending&attributes=userName');
      expect(page.status).to.equal(200);
      expect(page.body.totalResults).to.equal(2);
      expect(page.body.startIndex).to.equal(2);
      expect(page.body.itemsPerPage).to.equal(1);
      const [only] = page.body.Resources as Record<string, unknown>[];
      expect(only?.userName).to.equal('Barbara.Jensen@example.com');
      expect(only).to.not.have.property('emails');
      const excluded = await scim.get(`/Users/${userId}?excludedAttributes=emails,name`);
      expect(excluded.body).to.not.have.property('emails');
      expect(excluded.body).to.not.have.property('name');
      expect(excluded.body.userName).to.equal('Barbara.Jensen@example.com');
    });

    it('deactivates the user with PATCH replace active=false', async () => {
      const reply = await scim.patch(`/Users/${userId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }],
      });
      expect(reply.status).to.equal(200);
      expect(reply.body.active).to.equal(false);
      expect((reply.body.meta as Record<string, string>).version).to.equal('W/"2"');
      const read = await scim.get(`/Users/${userId}`);
      expect(read.body.active).to.equal(false);
      const inactive = await scim.get(`/Users?filter=${encodeURIComponent('active eq false')}`);
      expect((inactive.body.Resources as { id: string }[]).map((r) => r.id)).to.deep.equal([userId]);
    });

    it('replaces the user with PUT, echoing back readOnly attributes', async () => {
      const current = await scim.get(`/Users/${userId}`);
      const reply = await scim.put(`/Users/${userId}`, {
        ...current.body,
        displayName: 'Babs Jensen',
        emails: [{ value: 'babs@example.com', type: 'work', primary: true }],
        [ENTERPRISE_SCHEMA]: undefined,
      });
      expect(reply.status).to.equal(200);
      expect(reply.body.id).to.equal(userId);
      expect(reply.body.displayName).to.equal('Babs Jensen');
      expect(reply.body.emails).to.deep.equal([{ value: 'babs@example.com', type: 'work', primary: true }]);
      expect(reply.body).to.not.have.property(ENTERPRISE_SCHEMA);
      expect((reply.body.meta as Record<string, string>).created).to.equal((current.body.meta as Record<string, string>).created);
      const old = await scim.get(`/Users?filter=${encodeURIComponent('emails.value eq "bjensen@example.com"')}`);
      expect(old.body.totalResults).to.equal(0);
    });

    it('honours If-Match and If-None-Match', async () => {
      const stale = await scim.put(`/Users/${userId}`, { schemas: [USER_SCHEMA], userName: 'Barbara.Jensen@example.com' },
        { 'If-Match': 'W/"1"' });
      expect(stale.status).to.equal(412);
      const current = await scim.get(`/Users/${userId}`);
      const etag = current.headers.get('etag') ?? '';
      const unchanged = await scim.get(`/Users/${userId}`, { 'If-None-Match': etag });
      expect(unchanged.status).to.equal(304);
    });

    it('creates a group with members', async () => {
      const reply = await scim.post('/Groups', {
        schemas: [GROUP_SCHEMA], displayName: 'Tour Guides', externalId: 'guides',
        members: [{ value: userId, type: 'User' }],
      });
      expect(reply.status).to.equal(201);
      groupId = reply.body.id as string;
      expect(reply.headers.get('location')).to.equal(`${scim.baseUrl}/Groups/${groupId}`);
      expect(reply.body.members).to.deep.equal([
        { value: userId, display: 'Babs Jensen', type: 'User', $ref: `${scim.baseUrl}/Users/${userId}` },
      ]);
      const role = reply.body['urn:scimd:params:scim:schemas:extension:role:2.0:Group'] as Record<string, unknown>;
      expect(role).to.deep.include({ kind: 'custom', permissions: [] });
      const user = await scim.get(`/Users/${userId}`);
      expect((user.body.groups as { value: string }[]).map((g) => g.value)).to.deep.equal([groupId]);
    });

    it('adds and removes a member with PATCH', async () => {
      const add = await scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: secondUserId }] }],
      });
      expect(add.status).to.equal(204);
      let group = await scim.get(`/Groups/${groupId}`);
      expect((group.body.members as { value: string }[]).map((m) => m.value).sort()).to.deep.equal([userId, secondUserId].sort());
      const remove = await scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }],
      });
      expect(remove.status).to.equal(204);
      group = await scim.get(`/Groups/${groupId}?attributes=members`);
      expect((group.body.members as { value: string }[]).map((m) => m.value)).to.deep.equal([secondUserId]);
      const byMember = await scim.get(`/Groups?filter=${encodeURIComponent(`members.value eq "${secondUserId}"`)}&excludedAttributes=members`);
      expect((byMember.body.Resources as { id: string }[]).map((g) => g.id)).to.deep.equal([groupId]);
      expect(byMember.body.Resources as unknown[]).to.satisfy((items: Record<string, unknown>[]) => items.every((g) => !('members' in g)));
    });

    it('renames a group and manages membership of a system role', async () => {
      const rename = await scim.patch(`/Groups/${groupId}?excludedAttributes=members`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Guides' } }],
      });
      expect(rename.status).to.equal(200);
      expect(rename.body.displayName).to.equal('Guides');
      // Help Desk Administrator: a system role whose permissions the SCIM client holds itself (not a governed grant).
      const helpDesk = '00000000-0000-4000-8000-000000000004';
      const join = await scim.patch(`/Groups/${helpDesk}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: secondUserId }] }],
      });
      expect(join.status, join.text).to.equal(204);
      const read = await scim.get(`/Groups/${helpDesk}`);
      expect((read.body.members as { value: string }[]).map((m) => m.value)).to.deep.equal([secondUserId]);
    });

    it('answers a PATCH and a PUT of a user with the groups it holds, listed as a GET lists them', async () => {
      const before = await scim.get(`/Users/${secondUserId}`);
      expect((before.body.groups as unknown[]).length).to.equal(2);
      const patch = await scim.patch(`/Users/${secondUserId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'Guide' }],
      });
      expect(patch.status, patch.text).to.equal(200);
      expect(patch.body.title).to.equal('Guide');
      expect(patch.body.groups).to.deep.equal(before.body.groups);
      const put = await scim.put(`/Users/${secondUserId}`, { schemas: [USER_SCHEMA], userName: before.body.userName, title: 'Lead' });
      expect(put.status, put.text).to.equal(200);
      expect(put.body.groups).to.deep.equal(before.body.groups);
      expect((await scim.get(`/Users/${secondUserId}`)).body).to.deep.include({ title: 'Lead', groups: before.body.groups });
    });

    it('deletes the user and the group, and they are gone', async () => {
      expect((await scim.delete(`/Users/${userId}`)).status).to.equal(204);
      expect((await scim.get(`/Users/${userId}`)).status).to.equal(404);
      expect((await scim.delete(`/Groups/${groupId}`)).status).to.equal(204);
      expect((await scim.get(`/Groups/${groupId}`)).status).to.equal(404);
      expect((await scim.delete(`/Users/${userId}`)).status).to.equal(404);
    });

    it('left an audit event for every change, in order', async () => {
      const rows = await server.running.dataSource.query(
        "SELECT action, actor_name, door FROM audit_events WHERE door = 'scim' ORDER BY id") as
        { action: string; actor_name: string; door: string }[];
      expect(rows.map((row) => row.action)).to.deep.equal([
        'user.create', 'user.create', 'user.update', 'user.update', 'role.create', 'role.update', 'role.update',
        'role.update', 'role.update', 'user.update', 'user.update', 'user.delete', 'role.delete',
      ]);
      expect(new Set(rows.map((row) => row.actor_name))).to.deep.equal(new Set(['okta']));
    });
  });
}
