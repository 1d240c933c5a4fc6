import { expect } from 'chai';
import { openDataSource } from '../../../src/db/data-source';
import { RoleNameKeys1763900000003 } from '../../../migrations/1763900000003-role-name-keys';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, PATCH_SCHEMA, scimSuite } from '../../support/test-server';

/**
 * A custom role must not pass for another role: names compare after trimming, NFKC (fullwidth
 * letters, the no-break space), dropping invisible format characters and folding case.
 */
const LOOK_ALIKES: readonly [string, string][] = [
  ['a trailing space', 'Super Administrator '],
  ['a leading space', ' Super Administrator'],
  ['a no-break space', 'Super\u00a0Administrator'],
  ['two spaces', 'Super  Administrator'],
  ['another case', 'SUPER administrator'],
  ['fullwidth letters', '\uff33\uff55\uff50\uff45\uff52 \uff21\uff44\uff4d\uff49\uff4e\uff49\uff53\uff54\uff52\uff41\uff54\uff4f\uff52'],
  ['a zero-width joiner inside a word', 'Super Admin\u200distrator'],
  ['a soft hyphen', 'Super Admini\u00adstrator'],
];

for (const database of testDatabases()) {
  describe(`Role names that read alike, over SCIM on ${database.name}`, () => {
    const suite = scimSuite(database);

    for (const [what, name] of LOOK_ALIKES) {
      it(`refuses a custom role named like the system role Super Administrator with ${what}: 409 uniqueness, nothing written`, async () => {
        const roles = await suite.server.count('roles');
        const reply = await suite.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: name });
        expect(reply.status, JSON.stringify(reply.body)).to.equal(409);
        expect(reply.body.scimType).to.equal('uniqueness');
        expect(reply.body.detail).to.include('Super Administrator');
        expect(await suite.server.count('roles')).to.equal(roles);
      });
    }

    it('refuses renaming a custom role to a look-alike of another, by PATCH and by PUT', async () => {
      const created = await suite.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Night Shift' });
      expect(created.status).to.equal(201);
      const id = created.body.id as string;
      const patched = await suite.scim.patch(`/Groups/${id}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'Ａｕｄｉｔｏｒ' }],
      });
      expect(patched.status).to.equal(409);
      expect(patched.body.scimType).to.equal('uniqueness');
      const put = await suite.scim.put(`/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: 'auditor\u00a0' });
      expect(put.status).to.equal(409);
      expect((await suite.scim.get(`/Groups/${id}`)).body.displayName).to.equal('Night Shift');
    });

    it('keeps the name as sent, and lets an identity provider find it again by the name it sent', async () => {
      const created = await suite.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Field Sales ' });
      expect(created.status).to.equal(201);
      expect(created.body.displayName).to.equal('Field Sales ');
      for (const filter of ['displayName eq "Field Sales "', 'displayName eq "field sales"', 'displayName eq "FIELD\u00a0SALES"']) {
        const found = await suite.scim.get(`/Groups?filter=${encodeURIComponent(filter)}&excludedAttributes=members`);
        expect(found.body.totalResults, filter).to.equal(1);
      }
      const contains = await suite.scim.get(`/Groups?filter=${encodeURIComponent('displayName co "ｓａｌｅｓ"')}&excludedAttributes=members`);
      expect((contains.body.Resources as { id: string }[]).map((role) => role.id)).to.deep.equal([created.body.id]);
    });

    it('applies the members of an update that spells a system role\'s name another way (as an IdP that found it so does), keeping the name', async () => {
      const helpDesk = '00000000-0000-4000-8000-000000000004';
      const user = await suite.scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'spelled@example.com' });
      const patched = await suite.scim.patch(`/Groups/${helpDesk}`, {
        schemas: [PATCH_SCHEMA], Operations: [
          { op: 'replace', path: 'displayName', value: 'help desk  ADMINISTRATOR' },
          { op: 'add', path: 'members', value: [{ value: user.body.id }] },
        ],
      });
      expect(patched.status, JSON.stringify(patched.body)).to.equal(204);
      const put = await suite.scim.put(`/Groups/${helpDesk}`, {
        schemas: [GROUP_SCHEMA], displayName: 'HELP DESK Administrator ', members: [{ value: user.body.id }],
      });
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      const role = await suite.scim.get(`/Groups/${helpDesk}`);
      expect(role.body.displayName).to.equal('Help Desk Administrator');
      expect((role.body.members as { value: string }[]).map((m) => m.value)).to.deep.equal([user.body.id]);
      const renamed = await suite.scim.patch(`/Groups/${helpDesk}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'Help Desk Administrators' }],
      });
      expect(renamed.status, 'a real rename of a system role is still refused').to.equal(400);
      expect(renamed.body.scimType).to.equal('mutability');
    });

    it('still accepts names that only share letters with another role', async () => {
      for (const name of ['Super Administrators', 'Super-Administrator', 'Administrator (EMEA)']) {
        const reply = await suite.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: name });
        expect(reply.status, name).to.equal(201);
      }
    });
  });

  describe(`Migration 1763900000003 (role name keys) on ${database.name}`, () => {
    it('recomputes the key of existing roles, and leaves a younger look-alike its old key rather than failing', async () => {
      const dataSource = await openDataSource(await database.fresh());
      try {
        await dataSource.runMigrations();
        const insert = (id: string, name: string, key: string, createdAt: string) => dataSource.query(
          'INSERT INTO roles (id, display_name, display_name_key, description, kind, assignable_to, risk, permissions, '
          + "external_id, source, source_anchor, version, created_at, updated_at) VALUES (?, ?, ?, NULL, 'custom', 'any', "
          + "'normal', '[]', NULL, 'scim', NULL, 1, ?, ?)", [id, name, key, createdAt, createdAt]);
        // Keys as the earlier version wrote them: lower case only.
        await insert('00000000-0000-4000-a000-000000000001', 'Ｓａｌｅｓ', 'ｓａｌｅｓ', '2026-01-01T00:00:00.000Z');
        await insert('00000000-0000-4000-a000-000000000002', 'sales\u00a0', 'sales\u00a0', '2026-01-02T00:00:00.000Z');
        const runner = dataSource.createQueryRunner();
        try {
          await new RoleNameKeys1763900000003().up(runner);
        } finally {
          await runner.release();
        }
        const rows = await dataSource.query(
          "SELECT id, display_name_key FROM roles WHERE id LIKE '00000000-0000-4000-a000-%' ORDER BY id",
        ) as { id: string; display_name_key: string }[];
        expect(rows.map((row) => row.display_name_key)).to.deep.equal(['sales', 'sales\u00a0']);
      } finally {
        await dataSource.destroy();
      }
    });
  });
}
