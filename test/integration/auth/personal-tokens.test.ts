import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { PersonalTokens } from '../../../src/auth/personal-tokens';
import type { DatabaseConfig } from '../../../src/config';
import { localOperatorContext, type ChangeContext } from '../../../src/identity/change-context';
import { RoleDirectory } from '../../../src/identity/roles';
import { rawRequest } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import { runScimd, useSpawnedProcesses, type RunResult } from '../../support/processes';
import { GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply } from '../../support/test-server';

/**
 * Persons and their personal access tokens, end to end: users made over SCIM, roles granted in
 * floor 2, tokens minted with the real `scimd token create --user` and used against the admin API.
 */

const OPERATOR = localOperatorContext('test');
const AUDITOR = '00000000-0000-4000-8000-000000000003';
const PERSONAL_TOKEN = /^scimd_p_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function explain(result: RunResult): string {
  return `exit ${String(result.code)}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** The DATABASE_URL a spawned CLI needs to reach the suite's database. */
function databaseUrl(config: DatabaseConfig): string {
  return config.kind === 'sqlite' ? `sqlite:${config.path}` : config.url;
}

function secretOf(token: string): string {
  return PERSONAL_TOKEN.exec(token)?.[2] ?? '';
}

for (const database of testDatabases()) {
  describe(`Personal access tokens on ${database.name}`, function () {
    this.timeout(60_000);
    useSpawnedProcesses('scimd-persons-', () => undefined);

    let server: TestServer;
    let env: Record<string, string>;
    let scim: ScimClient;
    let roles: RoleDirectory;

    const admin = (path: string, token: string, method = 'GET'): Promise<ScimReply> =>
      rawRequest(`${server.running.url}/admin/api${path}`, { method, headers: { Authorization: `Bearer ${token}` } });

    const scimd = (args: string[]): Promise<RunResult> => runScimd(args, { env });

    async function createUser(userName: string): Promise<string> {
      const reply = await scim.post('/Users', { schemas: [USER_SCHEMA], userName });
      expect(reply.status, reply.text).to.equal(201);
      return reply.body.id as string;
    }

    async function auditor(userName: string): Promise<string> {
      const id = await createUser(userName);
      await roles.update(OPERATOR, AUDITOR, { memberChanges: [{ kind: 'add', ids: [id] }] });
      return id;
    }

    async function rows(sql: string, parameters: unknown[] = []): Promise<Record<string, unknown>[]> {
      return await server.running.dataSource.query(sql, parameters) as Record<string, unknown>[];
    }

    before(async () => {
      const config = await database.fresh();
      server = await TestServer.start(config);
      env = { DATABASE_URL: databaseUrl(config) };
      scim = server.client(await server.token('provisioner', ['Full API Access']));
      roles = new RoleDirectory(server.running.dataSource);
    });

    after(() => server.stop());

    describe('scimd token create --user', () => {
      let aliceId: string;
      let minted: RunResult;
      let issued: { id: string; user: string; token: string };

      // Minted once for the tests below, so that each of them runs on its own (--grep).
      before(async () => {
        aliceId = await auditor('alice');
        minted = await scimd(['token', 'create', '--user', 'alice', '--expires', '30', '--json']);
        expect(minted.code, explain(minted)).to.equal(0);
        issued = JSON.parse(minted.stdout) as typeof issued;
      });

      it('--json prints exactly {"id","user","token"} once, a scimd_p_ token', async () => {
        expect(Object.keys(issued)).to.deep.equal(['id', 'user', 'token']);
        expect(issued.user).to.equal('alice');
        expect(issued.token).to.match(PERSONAL_TOKEN);
        expect(PERSONAL_TOKEN.exec(issued.token)?.[1]).to.equal(issued.id);
        const [stored] = await rows('SELECT user_id, expires_at FROM personal_tokens WHERE id = ?', [issued.id]);
        expect(stored?.user_id).to.equal(aliceId);
        expect(stored?.expires_at).to.be.a('string');
      });

      it('authenticates as the person: 200 where their role allows, 403 where it does not', async () => {
        expect((await admin('/sync/runs', issued.token)).status).to.equal(200);
        const refused = await server.client(issued.token).post('/Users', { schemas: [USER_SCHEMA], userName: 'mallory' });
        expect(refused.status, refused.text).to.equal(403);
        expect(refused.text).to.include('alice');
        const used = await rows('SELECT last_used_at FROM personal_tokens WHERE id = ?', [issued.id]);
        expect(used[0]?.last_used_at).to.be.a('string');
      });

      it('GET /Me is the person\'s own User resource; other methods are not supported', async () => {
        const me = await server.client(issued.token).get('/Me');
        expect(me.status, me.text).to.equal(200);
        expect(me.body).to.include({ id: aliceId, userName: 'alice' });
        expect(me.headers.get('location')).to.equal(`${server.baseUrl}/Users/${aliceId}`);
        expect((await server.client(issued.token).patch('/Me', { schemas: [PATCH_SCHEMA], Operations: [] })).status).to.equal(501);
        expect((await scim.get('/Me')).status, 'a service account is not a User').to.equal(501);
      });

      it('stores only a hash of the secret, and audits the token by id as the CLI operator', async () => {
        const secret = secretOf(issued.token);
        const [stored] = await rows('SELECT secret_hash FROM personal_tokens WHERE id = ?', [issued.id]);
        expect(stored?.secret_hash).to.equal(createHash('sha256').update(secret).digest('hex'));
        for (const [table, column] of [['personal_tokens', 'secret_hash'], ['audit_events', 'changes']] as const) {
          const leaks = await rows(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} LIKE ?`, [`%${secret}%`]);
          expect(Number(leaks[0]?.n), `${table}.${column}`).to.equal(0);
        }
        const audits = await rows(
          `SELECT actor_type, target_type, target_id, target_name, changes FROM audit_events WHERE action = 'token.create' AND target_id = ?`,
          [aliceId],
        );
        expect(audits).to.have.length(1);
        expect(audits[0]).to.include({ actor_type: 'cli', target_type: 'User', target_name: 'alice' });
        expect(JSON.parse(audits[0]?.changes as string)).to.include({ tokenId: issued.id, kind: 'personal' });
      });

      it('token list --user lists the token without its secret', async () => {
        const result = await scimd(['token', 'list', '--user', 'ALICE', '--json']);
        expect(result.code, explain(result)).to.equal(0);
        const listed = JSON.parse(result.stdout) as { id: string; userName: string; revokedAt: string | null }[];
        expect(listed.map((token) => [token.id, token.userName, token.revokedAt])).to.deep.equal([[issued.id, 'alice', null]]);
        expect(result.stdout).to.not.include(secretOf(issued.token));
      });

      it('token revoke revokes a personal token at once (401), audited', async () => {
        const token = await server.personToken('alice');
        const id = PERSONAL_TOKEN.exec(token)?.[1] ?? '';
        expect((await admin('/sync/runs', token)).status).to.equal(200);
        const result = await scimd(['token', 'revoke', id, '--json']);
        expect(result.code, explain(result)).to.equal(0);
        expect(JSON.parse(result.stdout)).to.include({ id, userName: 'alice' }).and.have.property('revokedAt').that.is.a('string');
        expect((await admin('/sync/runs', token)).status).to.equal(401);
        expect((await admin('/sync/runs', issued.token)).status, 'the other token').to.equal(200);
        expect(await rows(`SELECT id FROM audit_events WHERE action = 'token.revoke' AND target_id = ?`, [aliceId])).to.have.length(1);
      });

      it('is refused for a user who holds no role, exit 1, nothing written', async () => {
        await createUser('bob');
        const before = await server.count('personal_tokens');
        const result = await scimd(['token', 'create', '--user', 'bob', '--json']);
        expect(result.code, explain(result)).to.equal(1);
        expect(result.stderr).to.match(/^scimd: User "bob" holds no role that grants a permission/);
        expect(result.stdout).to.equal('');
        expect(await server.count('personal_tokens')).to.equal(before);
      });

      it('is refused for a user whose only role grants no permission', async () => {
        const carol = await createUser('carol');
        const group = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Coffee club', members: [{ value: carol }] });
        expect(group.status, group.text).to.equal(201);
        const result = await scimd(['token', 'create', '--user', 'carol']);
        expect(result.code, explain(result)).to.equal(1);
        expect(result.stderr).to.include('holds no role that grants a permission');
      });

      it('is refused for an unknown user with exit 3', async () => {
        const result = await scimd(['token', 'create', '--user', 'nobody']);
        expect(result.code, explain(result)).to.equal(3);
        expect(result.stderr).to.equal('scimd: No user "nobody"\n');
      });

      it('is a usage error with both a service account and --user, or with neither', async () => {
        const both = await scimd(['token', 'create', 'provisioner', '--user', 'alice']);
        expect(both.code, explain(both)).to.equal(1);
        expect(both.stderr).to.match(/^error: .*not both/);
        const neither = await scimd(['token', 'create']);
        expect(neither.code, explain(neither)).to.equal(1);
        expect(neither.stderr).to.match(/^error: missing the service account .* or the person \(--user <userName>\)/);
        const badDays = await scimd(['token', 'create', '--user', 'alice', '--expires', '1.5']);
        expect(badDays.code, explain(badDays)).to.equal(1);
        expect(badDays.stderr).to.match(/^error: option '--expires <days>' argument '1\.5' is invalid/);
      });
    });

    describe('authentication follows the person', () => {
      it('a role taken away is 403 at the next request', async () => {
        const dave = await auditor('dave');
        const token = await server.personToken('dave');
        expect((await admin('/sync/runs', token)).status).to.equal(200);
        await roles.update(OPERATOR, AUDITOR, { memberChanges: [{ kind: 'remove', ids: [dave] }] });
        const reply = await admin('/sync/runs', token);
        expect(reply.status, reply.text).to.equal(403);
      });

      it('a user deactivated over SCIM is 401', async () => {
        const erin = await auditor('erin');
        const token = await server.personToken('erin');
        expect((await admin('/sync/runs', token)).status).to.equal(200);
        const patched = await scim.patch(`/Users/${erin}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }],
        });
        expect(patched.status, patched.text).to.equal(200);
        expect((await admin('/sync/runs', token)).status).to.equal(401);
        const result = await scimd(['token', 'create', '--user', 'erin']);
        expect(result.code, explain(result)).to.equal(1);
        expect(result.stderr).to.include('inactive');
      });

      it('a deleted user is 401', async () => {
        const frank = await auditor('frank');
        const token = await server.personToken('frank');
        expect((await admin('/sync/runs', token)).status).to.equal(200);
        expect((await scim.delete(`/Users/${frank}`)).status).to.equal(204);
        expect((await admin('/sync/runs', token)).status).to.equal(401);
      });

      it('an expired token is 401', async () => {
        await auditor('grace');
        const persons = new PersonalTokens(server.running.dataSource);
        const expired = await persons.create(OPERATOR, { userName: 'grace', expiresAt: '2001-01-01T00:00:00Z' });
        const valid = await persons.create(OPERATOR, { userName: 'grace', expiresAt: '2999-01-01T00:00:00Z' });
        expect((await admin('/sync/runs', expired.token)).status).to.equal(401);
        expect((await admin('/sync/runs', valid.token)).status).to.equal(200);
      });

      it('a token with a wrong secret, or a personal id presented as a service token, is 401', async () => {
        await auditor('heidi');
        const token = await server.personToken('heidi');
        const [, id = '', secret = ''] = PERSONAL_TOKEN.exec(token) ?? [];
        const wrong = `scimd_p_${id}_${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
        expect((await admin('/sync/runs', wrong)).status).to.equal(401);
        expect((await admin('/sync/runs', `scimd_${id}_${secret}`)).status).to.equal(401);
        expect((await admin('/sync/runs', token)).status).to.equal(200);
      });

      it('service tokens still authenticate as service accounts', async () => {
        expect((await scim.get('/Users')).status).to.equal(200);
      });
    });

    describe('PersonalTokens', () => {
      it('issues tokens only at the local operator\'s hand', async () => {
        await auditor('ivan');
        const person: ChangeContext = {
          actor: { type: 'person', id: 'x', name: 'judy', permissions: new Set(['*']), manages: 'all' }, door: 'admin',
        };
        const error = await new PersonalTokens(server.running.dataSource).create(person, { userName: 'ivan' })
          .then(() => undefined, (caught: unknown) => caught);
        expect(error).to.have.property('kind', 'forbidden');
      });
    });
  });
}
