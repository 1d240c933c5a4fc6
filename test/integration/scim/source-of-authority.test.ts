import { expect } from 'chai';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient } from '../../support/test-server';

/** Users and memberships that came from Active Directory are changed in AD, not through SCIM. */
for (const database of testDatabases()) {
  describe(`Active Directory as source of authority, over SCIM on ${database.name}`, () => {
    let server: TestServer;
    let scim: ScimClient;
    let adUserId: string;
    let scimUserId: string;
    let roleId: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      adUserId = (await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'ad.user@example.com', title: 'Clerk' })).body.id as string;
      scimUserId = (await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'scim.user@example.com' })).body.id as string;
      roleId = (await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Clerks' })).body.id as string;
      // What the sync leaves behind: an AD-sourced user holding the role through an AD-sourced membership.
      const ds = server.running.dataSource;
      await ds.query("UPDATE users SET source = 'ad', source_anchor = 'f2a1c3d4-0000-4000-8000-000000000001' WHERE id = ?", [adUserId]);
      await ds.query("INSERT INTO role_members (role_id, user_id, source, created_at) VALUES (?, ?, 'ad', ?)",
        [roleId, adUserId, new Date().toISOString()]);
    });

    after(async () => {
      await server.stop();
    });

    it('refuses to patch an AD-sourced user with 400 mutability naming the sync', async () => {
      const reply = await scim.patch(`/Users/${adUserId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'Manager' }],
      });
      expect(reply.status).to.equal(400);
      expect(reply.body.scimType).to.equal('mutability');
      expect(reply.body.detail).to.include('managed by Active Directory sync');
      expect((await scim.get(`/Users/${adUserId}`)).body.title).to.equal('Clerk');
    });

    it('accepts a PUT that changes nothing (a GET-then-PUT round trip) and does not bump the version', async () => {
      const current = await scim.get(`/Users/${adUserId}`);
      const reply = await scim.put(`/Users/${adUserId}`, current.body);
      expect(reply.status).to.equal(200);
      expect((reply.body.meta as { version: string }).version).to.equal((current.body.meta as { version: string }).version);
    });

    it('refuses to delete an AD-sourced user', async () => {
      const reply = await scim.delete(`/Users/${adUserId}`);
      expect(reply.status).to.equal(400);
      expect(reply.body.scimType).to.equal('mutability');
      expect((await scim.get(`/Users/${adUserId}`)).status).to.equal(200);
    });

    it('refuses to remove an AD-sourced membership, and applies nothing else of that request', async () => {
      const reply = await scim.patch(`/Groups/${roleId}`, {
        schemas: [PATCH_SCHEMA], Operations: [
          { op: 'add', path: 'members', value: [{ value: scimUserId }] },
          { op: 'remove', path: `members[value eq "${adUserId}"]` },
        ],
      });
      expect(reply.status).to.equal(400);
      expect(reply.body.scimType).to.equal('mutability');
      expect(reply.body.detail).to.include('managed by Active Directory sync');
      const members = (await scim.get(`/Groups/${roleId}`)).body.members as { value: string }[];
      expect(members.map((m) => m.value)).to.deep.equal([adUserId]);
    });

    it('lets SCIM manage its own memberships of the same role, leaving the AD ones alone', async () => {
      const add = await scim.patch(`/Groups/${roleId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: scimUserId }] }],
      });
      expect(add.status).to.equal(204);
      const replace = await scim.patch(`/Groups/${roleId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'members', value: [] }],
      });
      expect(replace.status).to.equal(204);
      const members = (await scim.get(`/Groups/${roleId}`)).body.members as { value: string }[];
      expect(members.map((m) => m.value)).to.deep.equal([adUserId]);
    });

    it('still lets SCIM change users it owns', async () => {
      const reply = await scim.patch(`/Users/${scimUserId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'Owner' }],
      });
      expect(reply.status).to.equal(200);
      expect(reply.body.title).to.equal('Owner');
    });
  });
}
