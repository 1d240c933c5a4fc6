import { expect } from 'chai';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, scimSuite, USER_SCHEMA } from '../../support/test-server';

for (const database of testDatabases()) {
  describe(`Deleting a group over SCIM on ${database.name}`, () => {
    const suite = scimSuite(database);

    async function groupWithMember(displayName: string): Promise<{ groupId: string; userId: string }> {
      const user = await suite.scim.post('/Users', { schemas: [USER_SCHEMA], userName: `${displayName}@example.test` });
      expect(user.status, user.text).to.equal(201);
      const userId = String(user.body.id);
      const group = await suite.scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: [{ value: userId }] });
      expect(group.status, group.text).to.equal(201);
      return { groupId: String(group.body.id), userId };
    }

    it('deletes a group with its memberships, audited, and the user stays', async () => {
      const { groupId, userId } = await groupWithMember('couriers');
      const reply = await suite.scim.delete(`/Groups/${groupId}`);
      expect(reply.status, reply.text).to.equal(204);
      expect((await suite.scim.get(`/Groups/${groupId}`)).status).to.equal(404);
      const user = await suite.scim.get(`/Users/${userId}`);
      expect(user.status).to.equal(200);
      expect(user.body.groups ?? []).to.deep.equal([]);
      const audits = await suite.server.running.dataSource.query(
        "SELECT action FROM audit_events WHERE target_id = ? AND action = 'role.delete'", [groupId],
      ) as unknown[];
      expect(audits).to.have.length(1);
    });

    it('refuses to delete a group a service account holds: 409, and the group, its members and its audit trail stay as they were', async () => {
      const { groupId, userId } = await groupWithMember('robots');
      await suite.server.token('robot', ['robots']);
      const audits = await suite.server.count('audit_events');
      const reply = await suite.scim.delete(`/Groups/${groupId}`);
      expect(reply.status, reply.text).to.equal(409);
      expect(String(reply.body.detail)).to.include('held by a service account');
      const group = await suite.scim.get(`/Groups/${groupId}`);
      expect(group.status).to.equal(200);
      expect((group.body.members as { value: string }[]).map((member) => member.value)).to.deep.equal([userId]);
      expect(await suite.server.count('audit_events')).to.equal(audits);
    });
  });
}
