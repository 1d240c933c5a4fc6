import { expect } from 'chai';
import type { DatabaseConfig } from '../../../src/config';
import { localOperatorContext } from '../../../src/identity/change-context';
import { RoleAssignments } from '../../../src/identity/role-assignments';
import { AdminClient } from '../../support/admin-client';
import { testDatabases } from '../../support/databases';
import { TestMailbox } from '../../support/mailbox';
import { runScimd } from '../../support/processes';
import { TestServer, type ScimClient } from '../../support/test-server';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GOVERNANCE = { approvalMode: 'high-risk', approvalExpiryDays: 7 } as const;

async function createUser(scim: ScimClient, userName: string, email?: string): Promise<string> {
  const reply = await scim.post('/Users', {
    schemas: [USER_SCHEMA], userName, name: { givenName: userName.split('@')[0] },
    ...(email ? { emails: [{ value: email, type: 'work', primary: true }] } : {}),
  });
  expect(reply.status, reply.text).to.equal(201);
  return String(reply.body.id);
}

function databaseUrl(database: DatabaseConfig): string {
  return database.kind === 'sqlite' ? `sqlite:${database.path}` : database.url;
}

for (const database of testDatabases()) {
  describe(`Four-eyes role governance, end to end over HTTP on ${database.name}`, function () {
    this.timeout(120_000);
    let mailbox: TestMailbox;
    let server: TestServer;
    let config: DatabaseConfig;
    let scim: ScimClient;
    const ids: Record<string, string> = {};
    let creator: AdminClient;
    let validator: AdminClient;
    let requestId = '';

    before(async () => {
      mailbox = await TestMailbox.start();
      config = await database.fresh();
      server = await TestServer.start(config, { governance: GOVERNANCE, mail: { url: mailbox.url, from: 'scimd@example.test' } });
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      ids.carol = await createUser(scim, 'carol@example.test', 'carol@example.test');
      ids.victor = await createUser(scim, 'victor@example.test', 'victor@example.test');
      ids.bob = await createUser(scim, 'bob@example.test', 'bob@example.test');
      // Bootstrap as the local operator (what `scimd role grant` does): the root of trust.
      const assignments = new RoleAssignments(server.running.dataSource, GOVERNANCE);
      await assignments.edit(localOperatorContext('test'), ids.carol, { add: ['Identity Accounts - Creator'], remove: [] });
      await assignments.edit(localOperatorContext('test'), ids.victor, { add: ['Identity Accounts - Validator'], remove: [] });
      creator = new AdminClient(server, await server.personToken('carol@example.test'));
      validator = new AdminClient(server, await server.personToken('victor@example.test'));
    });

    after(async () => {
      await server.stop();
      await mailbox.stop();
    });

    it('a Creator asking for Super Administrator for Bob gets 202 and a pending change request; nothing is granted yet', async () => {
      const reply = await creator.post(`/users/${ids.bob}/roles`, { add: ['Super Administrator'] });
      expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
      const request = reply.body.changeRequest as Record<string, unknown>;
      expect(request).to.include({ kind: 'role-assignment', status: 'pending' });
      expect(request.requestedBy).to.deep.include({ type: 'person', id: ids.carol, name: 'carol@example.test' });
      expect(String(request.summary)).to.include('Super Administrator').and.include('high-risk');
      requestId = String(request.id);
      const roles = await validator.get(`/users/${ids.bob}/roles`);
      expect(roles.body.roles).to.deep.equal([]);
      const pending = await validator.get('/change-requests?status=pending');
      expect((pending.body.items as { id: string }[]).map((item) => item.id)).to.deep.equal([requestId]);
    });

    it('the Creator cannot approve her own request (403), and it stays pending', async () => {
      const reply = await creator.post(`/change-requests/${requestId}/approve`, {});
      expect(reply.status).to.equal(403);
      expect(reply.contentType).to.include('application/problem+json');
      const request = await validator.get(`/change-requests/${requestId}`);
      expect(request.body.status).to.equal('pending');
    });

    it('a Validator approves: Bob holds the role, the audit names requester and approver, and Bob\'s mailbox has the notice', async () => {
      const reply = await validator.post(`/change-requests/${requestId}/approve`, { comment: 'on call this week' });
      expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
      expect(reply.body).to.include({ status: 'approved', comment: 'on call this week' });
      expect(reply.body.decidedBy).to.deep.include({ type: 'person', id: ids.victor });
      const roles = await validator.get(`/users/${ids.bob}/roles`);
      expect(roles.body.roles).to.deep.equal([{ id: '00000000-0000-4000-8000-000000000001', name: 'Super Administrator', risk: 'high', source: 'local' }]);
      const grant = await server.running.dataSource.query(
        "SELECT actor_name, changes FROM audit_events WHERE action = 'role.update' AND target_id = ?", ['00000000-0000-4000-8000-000000000001'],
      ) as { actor_name: string; changes: string }[];
      expect(grant).to.have.length(1);
      expect(grant[0]?.actor_name).to.equal('carol@example.test');
      const changes = JSON.parse(grant[0]?.changes ?? '{}') as Record<string, unknown>;
      expect(changes.added).to.deep.equal([ids.bob]);
      expect(changes.approval).to.deep.equal({
        changeRequestId: requestId, approvedBy: { type: 'person', id: ids.victor, name: 'victor@example.test' },
      });
      const [mail] = await mailbox.waitFor('bob@example.test', 1);
      expect(mail?.subject).to.equal('Your roles in scimd changed');
      expect(mail?.text).to.include('Super Administrator').and.include('victor@example.test');
    });

    it('a decided request cannot be decided again (409)', async () => {
      expect((await validator.post(`/change-requests/${requestId}/approve`)).status).to.equal(409);
      expect((await validator.post(`/change-requests/${requestId}/reject`)).status).to.equal(409);
    });

    it('scimd audit verify passes, then reports the first broken link once an audit row is edited in the database', async () => {
      const env = { DATABASE_URL: databaseUrl(config), MIGRATE_ON_START: 'false' };
      const intact = await runScimd(['audit', 'verify', '--json'], { env });
      expect(intact.code, intact.stderr).to.equal(0);
      const report = JSON.parse(intact.stdout) as Record<string, unknown>;
      expect(report.ok).to.equal(true);
      const [row] = await server.running.dataSource.query(
        "SELECT id, seq FROM audit_events WHERE action = 'change-request.approve'",
      ) as { id: number; seq: number }[];
      await server.running.dataSource.query("UPDATE audit_events SET actor_name = 'someone else' WHERE id = ?", [row?.id]);
      const broken = await runScimd(['audit', 'verify', '--json'], { env });
      expect(broken.code).to.equal(1);
      expect(JSON.stringify(JSON.parse(broken.stdout))).to.include(String(row?.seq));
    });
  });
}
