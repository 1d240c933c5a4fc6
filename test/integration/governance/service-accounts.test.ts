import { expect } from 'chai';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { hashSecret } from '../../../src/auth/tokens';
import type { DatabaseConfig } from '../../../src/config';
import { DomainError } from '../../../src/errors';
import { localOperatorContext, type ChangeContext } from '../../../src/identity/change-context';
import { RoleAssignments } from '../../../src/identity/role-assignments';
import { AdminClient, type AdminReply } from '../../support/admin-client';
import { testDatabases } from '../../support/databases';
import { runScimd } from '../../support/processes';
import { TestServer, USER_SCHEMA, type ScimClient } from '../../support/test-server';

const GOVERNANCE = { approvalMode: 'high-risk', approvalExpiryDays: 7 } as const;
/** Identity Accounts - Creator's permissions, as seeded (migrations 1763900000001 and 1763900000004). */
const CREATOR_PERMISSIONS = [
  'users:read', 'users:write', 'groups:read', 'groups:write', 'service-accounts:read', 'service-accounts:write',
  'roles:assign', 'roles:manage',
];

function databaseUrl(database: DatabaseConfig): string {
  return database.kind === 'sqlite' ? `sqlite:${database.path}` : database.url;
}

function secretOf(token: string): string {
  return token.slice('scimd_'.length + 17);
}

async function refusal(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

for (const database of testDatabases()) {
  describe(`Governed service accounts and tokens on ${database.name}`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let config: DatabaseConfig;
    let scim: ScimClient;
    let creator: AdminClient;
    let validator: AdminClient;
    let assignments: RoleAssignments;
    const ids: Record<string, string> = {};
    /** Every token shown in this suite: none of their secrets may be stored anywhere. */
    const shown: string[] = [];

    const usersWith = async (token: string): Promise<number> => (await server.client(token).get('/Users')).status;
    const countWhere = async (sql: string, parameters: unknown[]): Promise<number> => Number((await server.running.dataSource.query(
      `SELECT COUNT(*) AS n FROM ${sql}`, parameters,
    ) as { n: number | string }[])[0]?.n ?? 0);
    const accountRows = (name: string): Promise<number> => countWhere('service_accounts WHERE name_key = ?', [name.toLowerCase()]);
    const changeRequest = (reply: AdminReply): Record<string, unknown> => reply.body.changeRequest as Record<string, unknown>;
    const requestPending = async (body: Record<string, unknown>, path = '/service-accounts'): Promise<AdminReply> => {
      const reply = await creator.post(path, body);
      expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
      shown.push(String(reply.body.token));
      return reply;
    };

    async function person(userName: string, role: string): Promise<AdminClient> {
      const reply = await scim.post('/Users', { schemas: [USER_SCHEMA], userName, emails: [{ value: userName, primary: true }] });
      expect(reply.status, reply.text).to.equal(201);
      ids[userName] = String(reply.body.id);
      await assignments.edit(localOperatorContext('test'), String(reply.body.id), { add: [role], remove: [] });
      return new AdminClient(server, await server.personToken(userName));
    }

    before(async () => {
      config = await database.fresh();
      server = await TestServer.start(config, { governance: GOVERNANCE });
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      assignments = new RoleAssignments(server.running.dataSource, GOVERNANCE);
      creator = await person('carol@example.test', 'Identity Accounts - Creator');
      validator = await person('victor@example.test', 'Identity Accounts - Validator');
    });

    after(() => server.stop());

    describe('POST /service-accounts', () => {
      it('a Creator creating an account with SCIM Provisioning gets 201 and a token that works on /scim/v2/Users', async () => {
        const reply = await creator.post('/service-accounts', { name: 'entra', roles: ['SCIM Provisioning'], description: 'Entra ID', expiresInDays: 90 });
        expect(reply.status, JSON.stringify(reply.body)).to.equal(201);
        const account = reply.body.account as { id: string; name: string; roles: string[]; tokens: { id: string; expiresAt: string }[] };
        expect(account).to.include({ name: 'entra', description: 'Entra ID' });
        expect(account.roles).to.deep.equal(['SCIM Provisioning']);
        expect(account.tokens).to.have.length(1);
        expect(Date.parse(account.tokens[0]?.expiresAt ?? '')).to.be.greaterThan(Date.parse(new Date().toISOString()));
        expect(reply.location).to.equal(`/admin/api/service-accounts/${account.id}`);
        const token = String(reply.body.token);
        shown.push(token);
        expect(await usersWith(token)).to.equal(200);
        const [audit] = await server.running.dataSource.query(
          "SELECT actor_type, actor_name, door FROM audit_events WHERE action = 'service-account.create' AND target_id = ?", [account.id],
        ) as Record<string, string>[];
        expect(audit).to.deep.equal({ actor_type: 'person', actor_name: 'carol@example.test', door: 'admin' });
      });

      it('with Full API Access: 202 and a pending change request; the token shown is refused (401) and no account exists yet', async () => {
        const reply = await requestPending({ name: 'deploy-bot', roles: ['Full API Access'] });
        expect(reply.location).to.equal(`/admin/api/change-requests/${String(changeRequest(reply).id)}`);
        expect(changeRequest(reply)).to.include({ kind: 'service-account', status: 'pending' });
        expect(String(changeRequest(reply).summary)).to.include('Full API Access').and.include('high-risk');
        expect(String(reply.body.note)).to.include('once').and.include('approv');
        expect(await usersWith(String(reply.body.token))).to.equal(401);
        expect(await accountRows('deploy-bot')).to.equal(0);
      });

      it('the Creator cannot approve her own request (403); a Validator approves, and the token shown then works', async () => {
        const reply = await requestPending({ name: 'ci-full', roles: ['Full API Access'], description: 'CI' });
        const id = String(changeRequest(reply).id);
        const token = String(reply.body.token);
        const own = await creator.post(`/change-requests/${id}/approve`, {});
        expect(own.status).to.equal(403);
        expect(own.contentType).to.include('application/problem+json');
        expect(await usersWith(token)).to.equal(401);
        const approved = await validator.post(`/change-requests/${id}/approve`, { comment: 'deploy pipeline' });
        expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
        expect(approved.body.status).to.equal('approved');
        expect(await usersWith(token)).to.equal(200);
        const account = await validator.get(`/service-accounts/${String(reply.body.accountId)}`);
        expect(account.status).to.equal(200);
        expect(account.body).to.include({ name: 'ci-full', description: 'CI' });
        expect(account.body.roles).to.deep.equal(['Full API Access']);
        expect((account.body.tokens as { id: string }[]).map((listed) => listed.id)).to.deep.equal([reply.body.tokenId]);
        const [audit] = await server.running.dataSource.query(
          "SELECT actor_name, changes FROM audit_events WHERE action = 'service-account.create' AND target_id = ?", [reply.body.accountId],
        ) as { actor_name: string; changes: string }[];
        expect(audit?.actor_name).to.equal('carol@example.test');
        expect((JSON.parse(audit?.changes ?? '{}') as Record<string, unknown>).approval).to.deep.equal({
          changeRequestId: id, approvedBy: { type: 'person', id: ids['victor@example.test'], name: 'victor@example.test' },
        });
      });

      it('rejected: the token never works and no account row is written', async () => {
        const reply = await requestPending({ name: 'ci-rejected', roles: ['Full API Access'] });
        const rejected = await validator.post(`/change-requests/${String(changeRequest(reply).id)}/reject`, { comment: 'no' });
        expect(rejected.status).to.equal(200);
        expect(rejected.body.status).to.equal('rejected');
        expect(await usersWith(String(reply.body.token))).to.equal(401);
        expect(await accountRows('ci-rejected')).to.equal(0);
        expect(await countWhere('api_tokens WHERE id = ?', [reply.body.tokenId])).to.equal(0);
      });

      it('a role carrying permissions the Creator lacks (Batch sync: sync:run) is governed too', async () => {
        const reply = await requestPending({ name: 'second-sync', roles: ['Batch sync'] });
        expect(String(changeRequest(reply).summary)).to.include('sync:run');
      });

      it('approval after the name was taken meanwhile: 409, the request is failed and its token never works', async () => {
        const reply = await requestPending({ name: 'ci-race', roles: ['Full API Access'] });
        await server.token('CI-Race', ['Read-only API Access']);
        const approved = await validator.post(`/change-requests/${String(changeRequest(reply).id)}/approve`, {});
        expect(approved.status, JSON.stringify(approved.body)).to.equal(409);
        expect(String(approved.body.detail)).to.include('already exists');
        const request = await validator.get(`/change-requests/${String(changeRequest(reply).id)}`);
        expect(request.body.status).to.equal('failed');
        expect(await usersWith(String(reply.body.token))).to.equal(401);
      });

      it('a second request for a name already waiting for approval: 409, and no second request', async () => {
        const first = await requestPending({ name: 'twice', roles: ['Full API Access'] });
        const before = await server.count('change_requests');
        const second = await creator.post('/service-accounts', { name: 'TWICE', roles: ['Full API Access'] });
        expect(second.status).to.equal(409);
        expect(String(second.body.detail)).to.include(String(changeRequest(first).id));
        expect(await server.count('change_requests')).to.equal(before);
      });

      it('a requester who lost the Creator role meanwhile: the approval fails (409) and writes nothing', async () => {
        const dave = await person('dave@example.test', 'Identity Accounts - Creator');
        const reply = await dave.post('/service-accounts', { name: 'dave-bot', roles: ['Full API Access'] });
        expect(reply.status, JSON.stringify(reply.body)).to.equal(202);
        shown.push(String(reply.body.token));
        await assignments.edit(localOperatorContext('test'), ids['dave@example.test'] ?? '', { add: [], remove: ['Identity Accounts - Creator'] });
        const approved = await validator.post(`/change-requests/${String(changeRequest(reply).id)}/approve`, {});
        expect(approved.status).to.equal(409);
        expect(String(approved.body.detail)).to.include('lacks the service-accounts:write permission');
        expect(await accountRows('dave-bot')).to.equal(0);
      });

      it('refuses unknown fields, a person-only role and a caller without service-accounts:write, writing nothing', async () => {
        const before = await server.count('service_accounts');
        const unknown = await creator.post('/service-accounts', { name: 'x', roles: ['SCIM Provisioning'], expiresIn: '90d' });
        expect(unknown.status).to.equal(400);
        expect(unknown.contentType).to.include('application/problem+json');
        expect(String(unknown.body.detail)).to.include('"expiresIn"');
        expect((await creator.post('/service-accounts', { name: 'x', roles: [] })).status).to.equal(400);
        expect((await creator.post('/service-accounts', { name: 'x', roles: ['SCIM Provisioning'], expiresInDays: 0 })).status).to.equal(400);
        expect((await creator.post('/service-accounts', { name: 'x', roles: ['Auditor'] })).status).to.equal(400);
        expect((await validator.post('/service-accounts', { name: 'x', roles: ['SCIM Provisioning'] })).status).to.equal(403);
        expect(await server.count('service_accounts')).to.equal(before);
      });
    });

    describe('POST /service-accounts/:id/tokens', () => {
      it('for an account holding SCIM Provisioning: 201 and the token works', async () => {
        const reply = await creator.post('/service-accounts/entra/tokens', {});
        expect(reply.status, JSON.stringify(reply.body)).to.equal(201);
        shown.push(String(reply.body.token));
        expect(String(reply.body.token)).to.include(String(reply.body.id));
        expect(await usersWith(String(reply.body.token))).to.equal(200);
      });

      it('for an account holding Full API Access: 202, refused (401) until a Validator approves, then it works', async () => {
        const account = await validator.get('/service-accounts/ci-full');
        const reply = await requestPending({ expiresInDays: 30 }, `/service-accounts/${String(account.body.id)}/tokens`);
        expect(changeRequest(reply)).to.include({ kind: 'service-token', status: 'pending' });
        expect(changeRequest(reply).target).to.deep.include({ type: 'ServiceAccount', id: account.body.id });
        const token = String(reply.body.token);
        expect(await usersWith(token)).to.equal(401);
        const approved = await validator.post(`/change-requests/${String(changeRequest(reply).id)}/approve`, {});
        expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
        expect(await usersWith(token)).to.equal(200);
        const [audit] = await server.running.dataSource.query(
          "SELECT changes FROM audit_events WHERE action = 'token.create' AND target_id = ?", [account.body.id],
        ) as { changes: string }[];
        const changes = JSON.parse(audit?.changes ?? '{}') as Record<string, unknown>;
        expect(changes.tokenId).to.equal(reply.body.id);
        expect(changes.approval).to.deep.include({ changeRequestId: changeRequest(reply).id });
      });

      it('for the Batch sync account: 403, whoever asks (the sync\'s own identity takes no tokens over HTTP)', async () => {
        const before = await server.count('api_tokens');
        const reply = await creator.post('/service-accounts/Batch sync/tokens', {});
        expect(reply.status).to.equal(403);
        expect(String(reply.body.detail)).to.include('directory sync');
        expect(await countWhere("change_requests WHERE kind = 'service-token' AND target_name = ?", ['Batch sync'])).to.equal(0);
        expect(await server.count('api_tokens')).to.equal(before);
      });

      it('revoking is never governed: the Creator revokes the Full API Access token at once (200), and it stops working', async () => {
        const token = await server.token('revoke-me', ['Full API Access']);
        shown.push(token);
        const account = await validator.get('/service-accounts/revoke-me');
        const tokenId = (account.body.tokens as { id: string }[])[0]?.id ?? '';
        const other = await validator.get('/service-accounts/entra');
        const elsewhere = await creator.post(`/service-accounts/${String(other.body.id)}/tokens/${tokenId}/revoke`, {});
        expect(elsewhere.status, 'a token revoked under another account\'s path').to.equal(404);
        expect(String(elsewhere.body.detail)).to.include(tokenId);
        expect(await usersWith(token)).to.equal(200);
        const reply = await creator.post(`/service-accounts/${String(account.body.id)}/tokens/${tokenId}/revoke`, {});
        expect(reply.status, JSON.stringify(reply.body)).to.equal(200);
        expect(reply.body.id).to.equal(tokenId);
        expect(reply.body.revokedAt).to.be.a('string');
        expect(await usersWith(token)).to.equal(401);
      });
    });

    describe('floor 2 and the CLI', () => {
      const carol = (): ChangeContext => ({
        actor: {
          type: 'person', id: ids['carol@example.test'] ?? '', name: 'carol@example.test',
          permissions: new Set(CREATOR_PERMISSIONS), manages: 'all',
        },
        door: 'admin',
      });

      it('a direct ServiceAccounts.create or createToken by a person for a high-risk role is refused, naming the approval path', async () => {
        const accounts = new ServiceAccounts(server.running.dataSource);
        const before = { accounts: await server.count('service_accounts'), tokens: await server.count('api_tokens') };
        const created = await refusal(accounts.create(carol(), { name: 'sneaky', roleNames: ['Full API Access'] }));
        expect(created.kind).to.equal('forbidden');
        expect(created.message).to.include('POST /admin/api/service-accounts').and.include('approvals:decide');
        const minted = await refusal(accounts.createToken(carol(), 'ci-full'));
        expect(minted.kind).to.equal('forbidden');
        expect(minted.message).to.include('/tokens');
        expect({ accounts: await server.count('service_accounts'), tokens: await server.count('api_tokens') }).to.deep.equal(before);
      });

      it('the CLI operator (root of trust) still applies directly: scimd service-account create x --role "Full API Access"', async () => {
        const result = await runScimd(['service-account', 'create', 'break-glass', '--role', 'Full API Access', '--json'], {
          env: { DATABASE_URL: databaseUrl(config), MIGRATE_ON_START: 'false' },
        });
        expect(result.code, result.stderr).to.equal(0);
        const token = String((JSON.parse(result.stdout) as { token: string }).token);
        shown.push(token);
        expect(await usersWith(token)).to.equal(200);
      });
    });

    describe('secrets', () => {
      it('GET /service-accounts lists accounts and token ids, never a secret or its hash', async () => {
        const reply = await validator.get('/service-accounts?pageSize=500');
        expect(reply.status).to.equal(200);
        const names = (reply.body.items as { name: string }[]).map((account) => account.name);
        expect(names).to.include.members(['ci-full', 'entra', 'okta']);
        expect(reply.body.total).to.equal(names.length);
        const text = JSON.stringify(reply.body);
        expect(text).to.not.match(/secret/i);
        for (const token of shown) expect(text).to.not.include(secretOf(token));
      });

      it('no secret shown in this suite is stored: change_requests and audit_events hold none; a request holds only its hash', async () => {
        expect(shown.length).to.be.greaterThan(10);
        const stored = await server.running.dataSource.query(
          'SELECT payload AS text FROM change_requests UNION ALL SELECT summary FROM change_requests '
          + 'UNION ALL SELECT changes FROM audit_events',
        ) as { text: string | null }[];
        const everything = stored.map((row) => row.text ?? '').join('\n');
        for (const token of shown) expect(everything).to.not.include(secretOf(token));
        const pending = await server.running.dataSource.query(
          "SELECT payload FROM change_requests WHERE kind = 'service-account' AND target_name = 'deploy-bot'",
        ) as { payload: string }[];
        const payload = JSON.parse(pending[0]?.payload ?? '{}') as { token?: { secretHash?: string } };
        const deployToken = shown.find((token) => payload.token?.secretHash === hashSecret(secretOf(token)));
        expect(deployToken, 'the request holds the SHA-256 of the secret shown').to.be.a('string');
      });
    });
  });
}
