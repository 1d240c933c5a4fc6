import { expect } from 'chai';
import { localOperatorContext } from '../../../src/identity/change-context';
import { RoleAssignments } from '../../../src/identity/role-assignments';
import { AdminClient } from '../../support/admin-client';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient } from '../../support/test-server';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const GOVERNANCE = { approvalMode: 'high-risk', approvalExpiryDays: 7 } as const;
const ROLE = {
  superAdministrator: '00000000-0000-4000-8000-000000000001',
  administrator: '00000000-0000-4000-8000-000000000002',
  auditor: '00000000-0000-4000-8000-000000000003',
  helpDesk: '00000000-0000-4000-8000-000000000004',
  operator: '00000000-0000-4000-8000-000000000006',
} as const;

async function createUser(scim: ScimClient, userName: string): Promise<string> {
  const reply = await scim.post('/Users', { schemas: [USER_SCHEMA], userName, emails: [{ value: userName, primary: true }] });
  expect(reply.status, reply.text).to.equal(201);
  return String(reply.body.id);
}

for (const database of testDatabases()) {
  describe(`Grant rules at every door on ${database.name}`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let scim: ScimClient;
    let assignments: RoleAssignments;
    const root = localOperatorContext('test');

    const holders = async (roleId: string): Promise<string[]> => (await server.running.dataSource.query(
      'SELECT user_id FROM role_members WHERE role_id = ? ORDER BY user_id', [roleId],
    ) as { user_id: string }[]).map((row) => row.user_id);

    before(async () => {
      server = await TestServer.start(await database.fresh(), { governance: GOVERNANCE });
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      assignments = new RoleAssignments(server.running.dataSource, GOVERNANCE);
    });

    after(() => server.stop());

    describe('SCIM refuses governed grants whatever the request, and writes nothing', () => {
      let bob: string;
      before(async () => {
        bob = await createUser(scim, 'bob@example.test');
      });

      it('PATCH add to Super Administrator: 403 naming the approval path', async () => {
        const audits = await server.count('audit_events');
        const reply = await scim.patch(`/Groups/${ROLE.superAdministrator}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }],
        });
        expect(reply.status).to.equal(403);
        expect(String(reply.body.detail)).to.include('high-risk').and.include(`POST /admin/api/users/${bob}/roles`)
          .and.include('approvals:decide');
        expect(await holders(ROLE.superAdministrator)).to.deep.equal([]);
        expect(await server.count('audit_events')).to.equal(audits);
      });

      it('PUT with the member list: 403', async () => {
        const reply = await scim.put(`/Groups/${ROLE.administrator}`, {
          schemas: [GROUP_SCHEMA], displayName: 'Administrator', members: [{ value: bob }],
        });
        expect(reply.status).to.equal(403);
        expect(await holders(ROLE.administrator)).to.deep.equal([]);
      });

      it('a Bulk PATCH: that operation fails with 403, the others apply', async () => {
        const reply = await scim.post('/Bulk', {
          schemas: [BULK_REQUEST], Operations: [
            { method: 'PATCH', path: `/Groups/${ROLE.superAdministrator}`, data: {
              schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }],
            } },
            { method: 'PATCH', path: `/Groups/${ROLE.helpDesk}`, data: {
              schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }],
            } },
          ],
        });
        expect(reply.status, reply.text).to.equal(200);
        const statuses = (reply.body.Operations as { status: string }[]).map((operation) => operation.status);
        expect(statuses).to.deep.equal(['403', '204']);
        expect(await holders(ROLE.superAdministrator)).to.deep.equal([]);
        expect(await holders(ROLE.helpDesk)).to.deep.equal([bob]);
      });

      it('POST /Groups cannot reach a high-risk role: its name is taken (409) and nothing is granted; a new role has no permissions', async () => {
        const taken = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'super administrator', members: [{ value: bob }] });
        expect(taken.status).to.equal(409);
        expect(await holders(ROLE.superAdministrator)).to.deep.equal([]);
        const created = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Night shift', members: [{ value: bob }] });
        expect(created.status, created.text).to.equal(201);
        const [role] = await server.running.dataSource.query('SELECT risk, permissions FROM roles WHERE id = ?', [created.body.id]) as
          { risk: string; permissions: string }[];
        expect(role).to.deep.equal({ risk: 'normal', permissions: '[]' });
      });

      it('a role carrying permissions the client lacks (Auditor: audit:read…) is governed too', async () => {
        const reply = await scim.patch(`/Groups/${ROLE.auditor}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }],
        });
        expect(reply.status).to.equal(403);
        expect(String(reply.body.detail)).to.include('audit:read');
      });

      it('a client holding every permission (Full API Access) still cannot grant a high-risk role', async () => {
        const full = server.client(await server.token('automation', ['Full API Access']));
        const reply = await full.patch(`/Groups/${ROLE.superAdministrator}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }],
        });
        expect(reply.status).to.equal(403);
      });

      it('an identity provider repeating members who already hold a high-risk role is not refused (no new grant)', async () => {
        await assignments.edit(root, bob, { add: ['Super Administrator'], remove: [] });
        const put = await scim.put(`/Groups/${ROLE.superAdministrator}`, {
          schemas: [GROUP_SCHEMA], displayName: 'Super Administrator', members: [{ value: bob }],
        });
        expect(put.status, put.text).to.equal(200);
        expect(await holders(ROLE.superAdministrator)).to.deep.equal([bob]);
      });
    });

    describe('Help Desk Administrator manages only users within its managed roles', () => {
      let hank: AdminClient;
      let hankScim: ScimClient;
      let plain: string;
      let admin: string;
      before(async () => {
        const hankId = await createUser(scim, 'hank@example.test');
        await assignments.edit(root, hankId, { add: ['Help Desk Administrator'], remove: [] });
        plain = await createUser(scim, 'plain@example.test');
        admin = await createUser(scim, 'admin@example.test');
        await assignments.edit(root, admin, { add: ['Administrator'], remove: [] });
        const token = await server.personToken('hank@example.test');
        hank = new AdminClient(server, token);
        hankScim = server.client(token);
      });

      it('assigns Help Desk Administrator to a user with no role (200, applied)', async () => {
        const reply = await hank.post(`/users/${plain}/roles`, { add: ['Help Desk Administrator'] });
        expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
        expect(reply.body.status).to.equal('applied');
        expect(await holders(ROLE.helpDesk)).to.include(plain);
      });

      it('may not assign a role outside its managed roles (Operator): 403 with the reason', async () => {
        const reply = await hank.post(`/users/${plain}/roles`, { add: ['Operator'] });
        expect(reply.status).to.equal(403);
        expect(String(reply.body.detail)).to.include('"Operator"').and.include('not among the roles');
        expect(await holders(ROLE.operator)).to.deep.equal([]);
      });

      it('may not touch a user holding Administrator, through the admin API or SCIM', async () => {
        const roles = await hank.post(`/users/${admin}/roles`, { add: ['Help Desk Administrator'] });
        expect(roles.status).to.equal(403);
        expect(String(roles.body.detail)).to.include('admin@example.test').and.include('"Administrator"');
        const patch = await hankScim.patch(`/Users/${admin}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'Demoted' }],
        });
        expect(patch.status).to.equal(403);
        expect((await hankScim.delete(`/Users/${admin}`)).status).to.equal(403);
        expect((await scim.get(`/Users/${admin}`)).body.title).to.equal(undefined);
      });

      it('may change a user it manages over SCIM', async () => {
        const patch = await hankScim.patch(`/Users/${plain}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'Desk' }],
        });
        expect(patch.status, patch.text).to.be.oneOf([200, 204]);
      });

      it('cannot ask for a governed grant (Auditor carries permissions it lacks) without roles:manage: 403', async () => {
        const reply = await hank.post(`/users/${plain}/roles`, { add: ['Auditor'] });
        expect(reply.status).to.equal(403);
        expect(String(reply.body.detail)).to.include('roles:manage');
      });
    });

    describe('change requests: reject, expiry, and rules checked again on approval', () => {
      let creator: AdminClient;
      let validator: AdminClient;
      let creatorId: string;
      let target: string;
      before(async () => {
        creatorId = await createUser(scim, 'cleo@example.test');
        const validatorId = await createUser(scim, 'val@example.test');
        target = await createUser(scim, 'tara@example.test');
        await assignments.edit(root, creatorId, { add: ['Identity Accounts - Creator'], remove: [] });
        await assignments.edit(root, validatorId, { add: ['Identity Accounts - Validator'], remove: [] });
        creator = new AdminClient(server, await server.personToken('cleo@example.test'));
        validator = new AdminClient(server, await server.personToken('val@example.test'));
      });

      const ask = async (role: string): Promise<string> => {
        const reply = await creator.post(`/users/${target}/roles`, { add: [role] });
        expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
        return String((reply.body.changeRequest as { id: string }).id);
      };

      it('asking twice for the same change returns the same pending request', async () => {
        const first = await ask('Administrator');
        expect(await ask('Administrator')).to.equal(first);
        await validator.post(`/change-requests/${first}/reject`, { comment: 'not needed' });
      });

      it('a rejected request applies nothing and says who rejected it and why', async () => {
        const id = await ask('Operator');
        const reply = await validator.post(`/change-requests/${id}/reject`, { comment: 'use the Operator group in AD' });
        expect(reply.status).to.equal(200);
        expect(reply.body).to.include({ status: 'rejected', comment: 'use the Operator group in AD' });
        expect(await holders(ROLE.operator)).to.not.include(target);
      });

      it('an expired request cannot be approved (409) and reads as expired', async () => {
        const id = await ask('Super Administrator');
        await server.running.dataSource.query("UPDATE change_requests SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", [id]);
        const reply = await validator.post(`/change-requests/${id}/approve`, {});
        expect(reply.status).to.equal(409);
        expect(String(reply.body.detail)).to.include('expired');
        expect((await validator.get(`/change-requests/${id}`)).body.status).to.equal('expired');
        expect(await holders(ROLE.superAdministrator)).to.not.include(target);
      });

      it('a requester who lost the right to ask meanwhile: the approval fails (409), nothing is applied, the request is failed', async () => {
        const id = await ask('Administrator');
        await assignments.edit(root, creatorId, { add: [], remove: ['Identity Accounts - Creator'] });
        const reply = await validator.post(`/change-requests/${id}/approve`, {});
        expect(reply.status).to.equal(409);
        const request = await validator.get(`/change-requests/${id}`);
        expect(request.body.status).to.equal('failed');
        expect(String((request.body.result as { error: string }).error)).to.include('roles:assign');
        expect(await holders(ROLE.administrator)).to.not.include(target);
        await assignments.edit(root, creatorId, { add: ['Identity Accounts - Creator'], remove: [] });
      });

      it('a custom role\'s permissions change waits for approval, and the approval applies it (role-definition)', async () => {
        const created = await creator.post('/roles', { name: 'Desk readers', permissions: ['users:read'] });
        expect(created.status, JSON.stringify(created.body)).to.equal(201);
        const roleId = String(created.body.id);
        const patch = await creator.patch(`/roles/${roleId}`, { permissions: ['users:read', 'groups:read'] });
        expect(patch.status, JSON.stringify(patch.body)).to.equal(202);
        const requestId = String((patch.body.changeRequest as { id: string }).id);
        expect((await creator.get(`/roles/${roleId}`)).body.permissions).to.deep.equal(['users:read']);
        const approved = await validator.post(`/change-requests/${requestId}/approve`, {});
        expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
        expect((await creator.get(`/roles/${roleId}`)).body.permissions).to.have.members(['users:read', 'groups:read']);
      });

      it('a service account cannot decide requests, even holding every permission', async () => {
        const id = await ask('Operator');
        const automation = new AdminClient(server, await server.token('approver-bot', ['Full API Access']));
        const reply = await automation.post(`/change-requests/${id}/approve`, {});
        expect(reply.status).to.equal(403);
        expect(String(reply.body.detail)).to.include('person');
      });
    });
  });

  describe(`APPROVAL_MODE on ${database.name}`, function () {
    this.timeout(60_000);

    for (const [mode, expected] of [['none', 200], ['all', 202]] as const) {
      it(`${mode}: a Creator's grant of ${mode === 'none' ? 'a high-risk role applies at once' : 'even a normal role waits for approval'}`, async () => {
        const governance = { approvalMode: mode, approvalExpiryDays: 7 } as const;
        const server = await TestServer.start(await database.fresh(), { governance });
        try {
          const scim = server.client(await server.token('okta', ['SCIM Provisioning']));
          const creatorId = await createUser(scim, 'carl@example.test');
          const target = await createUser(scim, 'tom@example.test');
          await new RoleAssignments(server.running.dataSource, governance)
            .edit(localOperatorContext('test'), creatorId, { add: ['Identity Accounts - Creator'], remove: [] });
          const creator = new AdminClient(server, await server.personToken('carl@example.test'));
          const reply = await creator.post(`/users/${target}/roles`, { add: [mode === 'none' ? 'Super Administrator' : 'Help Desk Administrator'] });
          expect(reply.status, JSON.stringify(reply.body)).to.equal(expected);
        } finally {
          await server.stop();
        }
      });
    }
  });
}
