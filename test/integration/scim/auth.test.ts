import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { localOperatorContext, type ChangeContext } from '../../../src/identity/change-context';
import { RoleDirectory } from '../../../src/identity/roles';
import { MAX_PRINCIPAL_CACHE_MS } from '../../../src/config';
import { expectScimError, rawRequest, rows, writesNothing } from '../../support/assertions';
import { eventually } from '../../support/eventually';
import { testDatabases } from '../../support/databases';
import {
  GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply,
} from '../../support/test-server';

const OPERATOR: ChangeContext = localOperatorContext('test');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REFUSED_TOKEN = 'The bearer token is unknown, revoked or expired';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const CHALLENGE = 'Bearer realm="scimd"';

/** `scimd_<16 hex id>_<secret>`: the id is the public part that names the api_tokens row. */
function tokenId(token: string): string {
  return token.slice('scimd_'.length, 'scimd_'.length + 16);
}

function secretOf(token: string): string {
  return token.slice('scimd_'.length + 17);
}

function expectUnauthorized(reply: ScimReply): string {
  const detail = expectScimError(reply, 401);
  expect(reply.headers.get('www-authenticate'), 'WWW-Authenticate').to.match(/^Bearer\b/);
  return detail;
}

for (const database of testDatabases()) {
  describe(`Authentication and authorization of the SCIM API on ${database.name}`, () => {
    let server: TestServer;
    let provisioning: ScimClient;
    let readOnly: ScimClient;
    let userId: string;
    let groupId: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      provisioning = server.client(await server.token('okta-provisioning', ['SCIM Provisioning']));
      readOnly = server.client(await server.token('reporting', ['Read-only API Access']));
      const user = await provisioning.post('/Users', { schemas: [USER_SCHEMA], userName: 'existing@example.com' });
      expect(user.status, user.text).to.equal(201);
      userId = user.body.id as string;
      const group = await provisioning.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Existing' });
      expect(group.status, group.text).to.equal(201);
      groupId = group.body.id as string;
    });

    after(async () => {
      await server.stop();
    });

    async function lastUsedAt(token: string): Promise<unknown> {
      const [row] = await rows(server, 'SELECT last_used_at FROM api_tokens WHERE id = ?', [tokenId(token)]);
      expect(row, `api_tokens row of ${tokenId(token)}`).to.not.equal(undefined);
      return row?.last_used_at;
    }

    describe('who may call', () => {
      it('refuses a request without Authorization header with 401, a Bearer challenge and a SCIM error body', async () => {
        const anonymous = server.client(undefined);
        for (const path of ['/Users', `/Users/${userId}`, '/Groups', `/Groups/${groupId}`]) {
          expect(expectUnauthorized(await anonymous.get(path)), path).to.match(/Authorization: Bearer <token>/);
        }
        const post = await writesNothing(server, () => anonymous.post('/Users', { schemas: [USER_SCHEMA], userName: 'anon@example.com' }));
        expectUnauthorized(post);
        const remove = await writesNothing(server, () => anonymous.delete(`/Users/${userId}`));
        expectUnauthorized(remove);
      });

      it('refuses an Authorization header that is not "Bearer <token>" with 401', async () => {
        const token = await server.token('header-shapes', ['SCIM Provisioning']);
        for (const header of ['Basic dXNlcjpwYXNzd29yZA==', 'Bearer', 'Bearer    ', `Token ${token}`, token,
          `Bearer ${token} ${token}`, `Bearer:${token}`]) {
          const reply = await provisioning.raw('GET', '/Users', undefined, { Authorization: header });
          expect(expectUnauthorized(reply), header).to.match(/must be "Bearer <token>"/);
        }
        expect(await lastUsedAt(token)).to.equal(null);
      });

      it('accepts the Bearer scheme name in any case', async () => {
        const token = await server.token('scheme-case', ['Read-only API Access']);
        for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
          const reply = await provisioning.raw('GET', '/Users', undefined, { Authorization: `${scheme} ${token}` });
          expect(reply.status, scheme).to.equal(200);
        }
      });

      it('refuses an unknown token with 401', async () => {
        const unknownId = `scimd_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
        for (const token of ['nope', 'scimd_', unknownId, `${unknownId}x`, unknownId.toUpperCase()]) {
          expect(expectUnauthorized(await server.client(token).get('/Users')), token).to.equal(REFUSED_TOKEN);
        }
      });

      it('refuses a well-formed token with a wrong secret with 401, and does not count it as a use', async () => {
        const token = await server.token('wrong-secret', ['SCIM Provisioning']);
        const forged = `scimd_${tokenId(token)}_${randomBytes(32).toString('base64url')}`;
        expect(forged).to.have.length(token.length).and.not.equal(token);
        const reply = await writesNothing(server, () => server.client(forged).post('/Users', {
          schemas: [USER_SCHEMA], userName: 'forged@example.com',
        }));
        expect(expectUnauthorized(reply)).to.equal(REFUSED_TOKEN);
        const truncated = await server.client(token.slice(0, -1)).get('/Users');
        expect(expectUnauthorized(truncated)).to.equal(REFUSED_TOKEN);
        expect(await lastUsedAt(token)).to.equal(null);
        expect((await server.client(token).get('/Users')).status).to.equal(200);
      });

      it('refuses a revoked token with 401', async () => {
        const token = await server.token('soon-revoked', ['SCIM Provisioning']);
        const client = server.client(token);
        expect((await client.get('/Users')).status).to.equal(200);
        const revoked = await new ServiceAccounts(server.running.dataSource).revokeToken(OPERATOR, tokenId(token));
        expect(revoked.revokedAt).to.be.a('string');
        expect(expectUnauthorized(await client.get('/Users'))).to.equal(REFUSED_TOKEN);
        const post = await writesNothing(server, () => client.post('/Users', { schemas: [USER_SCHEMA], userName: 'revoked@example.com' }));
        expectUnauthorized(post);
      });

      it('refuses an expired token with 401, and accepts one that expires later', async () => {
        const expired = await server.token('expired', ['SCIM Provisioning'], new Date(Date.now() - 60_000).toISOString());
        expect(expectUnauthorized(await server.client(expired).get('/Users'))).to.equal(REFUSED_TOKEN);
        const post = await writesNothing(server, () => server.client(expired).post('/Users', {
          schemas: [USER_SCHEMA], userName: 'expired@example.com',
        }));
        expectUnauthorized(post);
        expect(await lastUsedAt(expired)).to.equal(null);
        const fresh = await server.token('not-yet-expired', ['SCIM Provisioning'], new Date(Date.now() + 3_600_000).toISOString());
        expect((await server.client(fresh).get('/Users')).status).to.equal(200);
      });

      it('refuses a token whose expiry, written with a UTC offset, has passed', async () => {
        // Thirty minutes ago, written in UTC+01:00: the local clock reading is later than UTC now.
        const past = new Date(Date.now() - 30 * 60_000 + 60 * 60_000).toISOString().slice(0, 16);
        const expiresAt = `${past}+01:00`;
        expect(Date.parse(expiresAt)).to.be.lessThan(Date.now());
        const token = await server.token('offset-expiry', ['SCIM Provisioning'], expiresAt);
        expect(expectUnauthorized(await server.client(token).get('/Users'))).to.equal(REFUSED_TOKEN);
      });

      it('refuses a token of an account disabled behind its back with 401 within the principal cache\'s 2 s', async () => {
        const token = await server.token('disabled-account', ['SCIM Provisioning']);
        expect((await server.client(token).get('/Users')).status).to.equal(200);
        // Written straight into the table, as another process would: nothing tells this server, so
        // the principal it remembers lasts out its lifetime (docs/operations.md, "Tokens").
        await server.running.dataSource.query('UPDATE service_accounts SET disabled_at = ? WHERE name = ?',
          [new Date().toISOString(), 'disabled-account']);
        const refused = await eventually('the disabled account\'s token to be refused', MAX_PRINCIPAL_CACHE_MS, async () => {
          const reply = await server.client(token).get('/Users');
          return reply.status === 401 ? reply : undefined;
        });
        expect(expectUnauthorized(refused)).to.equal(REFUSED_TOKEN);
      });
    });

    describe('every spelling of the path', () => {
      // The routers match paths without regard to case (some identity providers vary it), so
      // authentication must hold for each spelling they accept, not only for /scim/v2.
      const SPELLINGS = ['/SCIM/v2', '/Scim/V2', '/scim/V2', '/sCiM/v2'];

      const at = (path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<ScimReply> =>
        rawRequest(`${server.running.url}${path}`, {
          method: init.method ?? 'GET',
          headers: {
            ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
            ...(init.body === undefined ? {} : { 'Content-Type': 'application/scim+json' }),
          },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });

      it('refuses a request without a token with 401, the Bearer challenge and a SCIM error body, whatever the case', async () => {
        for (const prefix of SPELLINGS) {
          for (const path of ['/ServiceProviderConfig', '/Schemas', '/ResourceTypes/User', '/Users', `/Users/${userId}`,
            '/Groups', `/Groups/${groupId}`, '/Me', '/Nope']) {
            const reply = await at(`${prefix}${path}`);
            expect(expectUnauthorized(reply), `${prefix}${path}`).to.match(/Authorization: Bearer <token>/);
            expect(reply.headers.get('www-authenticate'), `${prefix}${path}`).to.equal(CHALLENGE);
          }
          const forged = await at(`${prefix}/Users`, { token: `scimd_${randomBytes(8).toString('hex')}_nope` });
          expect(expectUnauthorized(forged)).to.equal(REFUSED_TOKEN);
        }
      });

      it('refuses writes and Bulk without a token whatever the case, before reading the body, and writes nothing', async () => {
        const bulkBody = {
          schemas: [BULK_REQUEST],
          Operations: [{ method: 'POST', path: '/Users', bulkId: 'u', data: { schemas: [USER_SCHEMA], userName: 'anon-bulk@example.com' } }],
        };
        for (const prefix of SPELLINGS) {
          expectUnauthorized(await writesNothing(server, () => at(`${prefix}/Bulk`, { method: 'POST', body: bulkBody })));
          expectUnauthorized(await writesNothing(server, () => at(`${prefix}/Users`, {
            method: 'POST', body: { schemas: [USER_SCHEMA], userName: 'anon-cased@example.com' },
          })));
          expectUnauthorized(await writesNothing(server, () => at(`${prefix}/Users/${userId}`, {
            method: 'PATCH', body: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] },
          })));
          expectUnauthorized(await writesNothing(server, () => at(`${prefix}/Groups/${groupId}`, { method: 'DELETE' })));
          // Not even a body the server could not read gets further than authentication.
          const garbage = await writesNothing(server, () => rawRequest(`${server.running.url}${prefix}/Bulk`, {
            method: 'POST', headers: { 'Content-Type': 'application/scim+json' }, body: '{',
          }));
          expectUnauthorized(garbage);
        }
      });

      it('serves an authenticated caller whatever the case, with the permissions of its roles', async () => {
        const token = await server.token('cased-idp', ['SCIM Provisioning']);
        for (const prefix of SPELLINGS) {
          expect((await at(`${prefix}/ServiceProviderConfig`, { token })).status, prefix).to.equal(200);
          const user = await at(`${prefix}/Users/${userId}`, { token });
          expect(user.status, user.text).to.equal(200);
          expect(user.body.userName).to.equal('existing@example.com');
          expect((await at(`${prefix}/Groups`, { token })).status, prefix).to.equal(200);
        }
        const bulk = await at('/SCIM/v2/Bulk', { method: 'POST', token, body: {
          schemas: [BULK_REQUEST],
          Operations: [{ method: 'POST', path: '/Users', bulkId: 'u', data: { schemas: [USER_SCHEMA], userName: 'cased-bulk@example.com' } }],
        } });
        expect(bulk.status, bulk.text).to.equal(200);
        const [created] = bulk.body.Operations as { status: string; location: string }[];
        expect(created?.status, bulk.text).to.equal('201');
        const createdId = created?.location.split('/').pop() ?? '';
        expect(await rows(server, 'SELECT user_name FROM users WHERE id = ?', [createdId]))
          .to.deep.equal([{ user_name: 'cased-bulk@example.com' }]);
        expect((await at(`/Scim/V2/Users/${createdId}`, { method: 'DELETE', token })).status).to.equal(204);

        const reporting = await server.token('cased-reporting', ['Read-only API Access']);
        const refused = await writesNothing(server, () => at('/SCIM/v2/Users', {
          method: 'POST', token: reporting, body: { schemas: [USER_SCHEMA], userName: 'cased-ro@example.com' },
        }));
        expect(expectScimError(refused, 403)).to.include('users:write');
      });
    });

    describe('what a caller may do', () => {
      it('lets a Read-only API Access token read Users and Groups', async () => {
        for (const path of ['/Users', `/Users/${userId}`, '/Groups', `/Groups/${groupId}`]) {
          const reply = await readOnly.get(path);
          expect(reply.status, `${path}: ${reply.text.slice(0, 200)}`).to.equal(200);
        }
        const list = await readOnly.get(`/Users?filter=${encodeURIComponent('userName eq "existing@example.com"')}`);
        expect((list.body.Resources as { id: string }[]).map((r) => r.id)).to.deep.equal([userId]);
      });

      it('refuses every write of a Read-only API Access token with 403 and writes nothing', async () => {
        const writes: [string, () => Promise<ScimReply>, string][] = [
          ['POST /Users', () => readOnly.post('/Users', { schemas: [USER_SCHEMA], userName: 'ro@example.com' }), 'users:write'],
          ['PUT /Users', () => readOnly.put(`/Users/${userId}`, { schemas: [USER_SCHEMA], userName: 'renamed@example.com' }), 'users:write'],
          ['PATCH /Users', () => readOnly.patch(`/Users/${userId}`, {
            schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }],
          }), 'users:write'],
          ['DELETE /Users', () => readOnly.delete(`/Users/${userId}`), 'users:write'],
          ['POST /Groups', () => readOnly.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Read-only made this' }), 'groups:write'],
          ['PUT /Groups', () => readOnly.put(`/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], displayName: 'Renamed' }), 'groups:write'],
          ['PATCH /Groups', () => readOnly.patch(`/Groups/${groupId}`, {
            schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
          }), 'groups:write'],
          ['DELETE /Groups', () => readOnly.delete(`/Groups/${groupId}`), 'groups:write'],
        ];
        for (const [what, request, permission] of writes) {
          const reply = await writesNothing(server, request);
          const detail = expectScimError(reply, 403);
          expect(detail, what).to.include('"reporting"').and.include(permission).and.include('Read-only API Access');
        }
        const user = await readOnly.get(`/Users/${userId}`);
        expect(user.body).to.deep.include({ userName: 'existing@example.com', active: true });
        expect((user.body.meta as Record<string, string>).version).to.equal('W/"1"');
        const group = await readOnly.get(`/Groups/${groupId}`);
        expect(group.body.displayName).to.equal('Existing');
        expect(group.body).to.not.have.property('members');
        expect((group.body.meta as Record<string, string>).version).to.equal('W/"1"');
      });

      it('lets a SCIM Provisioning token create, read, replace, patch and delete Users and Groups', async () => {
        const scim = server.client(await server.token('full-cycle', ['SCIM Provisioning']));
        const created = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'cycle@example.com' });
        expect(created.status, created.text).to.equal(201);
        const id = created.body.id as string;
        expect((await scim.get(`/Users/${id}`)).status).to.equal(200);
        const put = await scim.put(`/Users/${id}`, { schemas: [USER_SCHEMA], userName: 'cycle@example.com', title: 'Tester' });
        expect(put.status, put.text).to.equal(200);
        const patch = await scim.patch(`/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] });
        expect(patch.status, patch.text).to.equal(200);
        expect(patch.body).to.deep.include({ title: 'Tester', active: false });

        const group = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Cycle', members: [{ value: id }] });
        expect(group.status, group.text).to.equal(201);
        const gid = group.body.id as string;
        expect((await scim.get(`/Groups/${gid}`)).status).to.equal(200);
        const gput = await scim.put(`/Groups/${gid}`, { schemas: [GROUP_SCHEMA], displayName: 'Cycle 2' });
        expect(gput.status, gput.text).to.equal(200);
        const gpatch = await scim.patch(`/Groups/${gid}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }],
        });
        expect(gpatch.status, gpatch.text).to.equal(204);
        expect((await scim.delete(`/Groups/${gid}`)).status).to.equal(204);
        expect((await scim.delete(`/Users/${id}`)).status).to.equal(204);
        expect(await rows(server, 'SELECT id FROM users WHERE id = ?', [id])).to.deep.equal([]);
        expect(await rows(server, 'SELECT id FROM roles WHERE id = ?', [gid])).to.deep.equal([]);
      });

      it('refuses a service account whose only role grants nothing relevant with 403', async () => {
        const role = await new RoleDirectory(server.running.dataSource).create(OPERATOR, { displayName: 'Badge readers' });
        expect(role.permissions).to.deep.equal([]);
        const client = server.client(await server.token('badge-reader', ['Badge readers']));
        for (const [path, permission] of [['/Users', 'users:read'], [`/Users/${userId}`, 'users:read'],
          ['/Groups', 'groups:read'], [`/Groups/${groupId}`, 'groups:read']]) {
          const detail = expectScimError(await client.get(path ?? ''), 403);
          expect(detail, path).to.include('"badge-reader"').and.include(permission ?? '').and.include('Badge readers');
        }
        const post = await writesNothing(server, () => client.post('/Users', { schemas: [USER_SCHEMA], userName: 'badge@example.com' }));
        expectScimError(post, 403);
        // Being authenticated is enough to discover what the server supports.
        expect((await client.get('/ServiceProviderConfig')).status).to.equal(200);
      });
    });

    describe('what every request leaves behind', () => {
      it('returns an X-Request-Id on every response, a different one each time', async () => {
        const replies: ScimReply[] = [
          await provisioning.get('/Users'),
          await server.client(undefined).get('/Users'),
          await readOnly.delete(`/Users/${userId}`),
          await provisioning.get('/Users/does-not-exist'),
          await provisioning.raw('POST', '/Users', '{', { 'Content-Type': 'application/scim+json' }),
          await provisioning.raw('POST', '/Users', '{}', { 'Content-Type': 'text/plain' }),
          await provisioning.raw('POST', `/Users/${userId}`, '{}', { 'Content-Type': 'application/scim+json' }),
          await provisioning.get('/Nope'),
          await provisioning.get('/ServiceProviderConfig'),
        ];
        expect(replies.map((reply) => reply.status)).to.deep.equal([200, 401, 403, 404, 400, 415, 405, 404, 200]);
        const ids = replies.map((reply) => reply.headers.get('x-request-id'));
        for (const id of ids) expect(id).to.match(UUID);
        expect(new Set(ids).size).to.equal(ids.length);
      });

      it('echoes a sane incoming X-Request-Id and replaces one that is not', async () => {
        for (const id of ['abc-123.DEF:x_9', 'a', 'x'.repeat(64)]) {
          const reply = await provisioning.get('/Users', { 'X-Request-Id': id });
          expect(reply.headers.get('x-request-id')).to.equal(id);
        }
        const refused = await server.client(undefined).get('/Users', { 'X-Request-Id': 'trace-401' });
        expect(refused.status).to.equal(401);
        expect(refused.headers.get('x-request-id')).to.equal('trace-401');
        for (const id of ['has spaces', 'x'.repeat(65), '<script>', 'semi;colon']) {
          const reply = await provisioning.get('/Users', { 'X-Request-Id': id });
          expect(reply.headers.get('x-request-id'), id).to.match(UUID);
        }
      });

      it('records when a token was last used', async () => {
        const token = await server.token('last-used', ['Read-only API Access']);
        expect(await lastUsedAt(token)).to.equal(null);
        const before = Date.now();
        expect((await server.client(token).get('/Groups')).status).to.equal(200);
        const used = await lastUsedAt(token);
        expect(used).to.be.a('string').and.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(Date.parse(used as string)).to.be.within(before - 1000, Date.now() + 1000);
        const view = await new ServiceAccounts(server.running.dataSource).get('last-used');
        expect(view.tokens.map((t) => t.lastUsedAt)).to.deep.equal([used]);
      });

      it('stores tokens hashed: neither the token nor its secret appears in the database', async () => {
        const token = await server.token('hashed', ['SCIM Provisioning']);
        expect((await server.client(token).get('/Users')).status).to.equal(200);
        const [row] = await rows(server, 'SELECT * FROM api_tokens WHERE id = ?', [tokenId(token)]);
        expect(row).to.not.equal(undefined);
        expect(row?.secret_hash).to.equal(createHash('sha256').update(secretOf(token)).digest('hex'));
        for (const table of ['api_tokens', 'service_accounts', 'service_account_roles', 'audit_events']) {
          const dump = JSON.stringify(await rows(server, `SELECT * FROM ${table}`));
          expect(dump, table).to.not.include(token);
          expect(dump, table).to.not.include(secretOf(token));
        }
      });

      it('audits every SCIM write with the account, door, action, target and request id', async () => {
        const [account] = await rows(server, 'SELECT id FROM service_accounts WHERE name = ?', ['okta-provisioning']);
        const writes: { reply: () => Promise<ScimReply>; action: string; targetType: string; target: () => string }[] = [];
        let newUserId = '';
        let newGroupId = '';
        writes.push(
          { reply: async () => {
            const reply = await provisioning.post('/Users', { schemas: [USER_SCHEMA], userName: 'audited@example.com' });
            newUserId = reply.body.id as string;
            return reply;
          }, action: 'user.create', targetType: 'User', target: () => newUserId },
          { reply: () => provisioning.put(`/Users/${newUserId}`, { schemas: [USER_SCHEMA], userName: 'audited@example.com', title: 'CFO' }),
            action: 'user.update', targetType: 'User', target: () => newUserId },
          { reply: () => provisioning.patch(`/Users/${newUserId}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: 'title' }] },
            { 'X-Request-Id': 'okta-trace-0001' }), action: 'user.update', targetType: 'User', target: () => newUserId },
          { reply: async () => {
            const reply = await provisioning.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Audited' });
            newGroupId = reply.body.id as string;
            return reply;
          }, action: 'role.create', targetType: 'Group', target: () => newGroupId },
          { reply: () => provisioning.patch(`/Groups/${newGroupId}`, {
            schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: newUserId }] }],
          }), action: 'role.update', targetType: 'Group', target: () => newGroupId },
          { reply: () => provisioning.put(`/Groups/${newGroupId}`, { schemas: [GROUP_SCHEMA], displayName: 'Audited 2' }),
            action: 'role.update', targetType: 'Group', target: () => newGroupId },
          { reply: () => provisioning.delete(`/Groups/${newGroupId}`), action: 'role.delete', targetType: 'Group', target: () => newGroupId },
          { reply: () => provisioning.delete(`/Users/${newUserId}`), action: 'user.delete', targetType: 'User', target: () => newUserId },
        );
        for (const write of writes) {
          const before = await server.count('audit_events');
          const reply = await write.reply();
          expect(reply.status, `${write.action}: ${reply.text.slice(0, 200)}`).to.be.within(200, 204);
          const requestId = reply.headers.get('x-request-id');
          expect(requestId, write.action).to.be.a('string');
          expect(await server.count('audit_events'), write.action).to.equal(before + 1);
          const events = await rows(server,
            'SELECT actor_type, actor_id, actor_name, door, action, target_type, target_id, request_id FROM audit_events WHERE request_id = ?',
            [requestId]);
          expect(events, write.action).to.deep.equal([{
            actor_type: 'service-account', actor_id: account?.id, actor_name: 'okta-provisioning', door: 'scim',
            action: write.action, target_type: write.targetType, target_id: write.target(), request_id: requestId,
          }]);
        }
        expect(await rows(server, 'SELECT action FROM audit_events WHERE request_id = ?', ['okta-trace-0001']))
          .to.deep.equal([{ action: 'user.update' }]);
      });
    });
  });
}
