import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { DatabaseConfig } from '../../../src/config';
import { expectScimError, rows, tableCounts, writesNothing } from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import {
  ENTERPRISE_SCHEMA, ERROR_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply,
} from '../../support/test-server';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface OperationResult {
  method?: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: Record<string, unknown>;
}

function user(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, ...extra };
}

function withManager(userName: string, manager: string): Record<string, unknown> {
  return { schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA], userName, [ENTERPRISE_SCHEMA]: { manager: { value: manager } } };
}

/** The Operations of a 200 BulkResponse, after checking its envelope. */
function resultsOf(reply: ScimReply): OperationResult[] {
  const context = `${reply.status} ${reply.text.slice(0, 600)}`;
  expect(reply.status, context).to.equal(200);
  expect(reply.headers.get('content-type'), context).to.match(/^application\/scim\+json/);
  expect(reply.body.schemas, context).to.deep.equal([BULK_RESPONSE]);
  expect(reply.body.Operations, context).to.be.an('array');
  return reply.body.Operations as OperationResult[];
}

/**
 * An operation's failure: status as a string, and a SCIM error body with the same status and the
 * scimType (none when undefined; not checked when null).
 */
function expectFailure(result: OperationResult | undefined, status: number, scimType?: string | null): string {
  const context = JSON.stringify(result);
  expect(result?.status, context).to.equal(String(status));
  expect(result?.response?.schemas, context).to.deep.equal([ERROR_SCHEMA]);
  expect(result?.response?.status, context).to.equal(String(status));
  if (scimType === undefined) expect(result?.response, context).to.not.have.property('scimType');
  else if (scimType !== null) expect(result?.response?.scimType, context).to.equal(scimType);
  expect(result?.response?.detail, context).to.be.a('string').and.not.equal('');
  return result?.response?.detail as string;
}

function idFrom(result: OperationResult | undefined, resource: 'Users' | 'Groups'): string {
  const match = new RegExp(`/${resource}/(${UUID})$`).exec(result?.location ?? '');
  expect(match, JSON.stringify(result)).to.not.equal(null);
  return (match as RegExpExecArray)[1] as string;
}

for (const database of testDatabases()) {
  describe(`Bulk operations (RFC 7644 §3.7) on ${database.name}`, () => {
    let config: DatabaseConfig;
    let server: TestServer;
    let scim: ScimClient;
    let readOnly: ScimClient;

    before(async () => {
      config = await database.fresh();
      server = await TestServer.start(config);
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      readOnly = server.client(await server.token('reporting', ['Read-only API Access']));
    });

    after(async () => {
      await server.stop();
    });

    function bulk(operations: unknown[], extra: Record<string, unknown> = {}, client: ScimClient = scim, requestId?: string): Promise<ScimReply> {
      return client.post('/Bulk', { schemas: [BULK_REQUEST], Operations: operations, ...extra },
        requestId ? { 'X-Request-Id': requestId } : {});
    }

    async function userNamed(userName: string): Promise<Record<string, unknown> | undefined> {
      const reply = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      expect(reply.status, reply.text).to.equal(200);
      return (reply.body.Resources as Record<string, unknown>[])[0];
    }

    async function auditOf(requestId: string): Promise<string[]> {
      const found = await rows(server, 'SELECT action, target_id FROM audit_events WHERE request_id = ? ORDER BY id', [requestId]);
      return found.map((row) => `${String(row.action)} ${String(row.target_id)}`);
    }

    it('announces Bulk in /ServiceProviderConfig with its limits', async () => {
      const reply = await scim.get('/ServiceProviderConfig');
      expect(reply.body.bulk).to.deep.equal({ supported: true, maxOperations: 1000, maxPayloadSize: 1048576 });
    });

    it('creates users and a group whose members refer to them by bulkId, including forward references', async () => {
      const requestId = `bulk-create-${randomUUID()}`;
      const reply = await bulk([
        // The group refers to two users whose POSTs come later in the request.
        {
          method: 'POST', path: '/Groups', bulkId: 'guides',
          data: { schemas: [GROUP_SCHEMA], displayName: 'Bulk Guides', members: [{ value: 'bulkId:alice', type: 'User' }, { value: 'bulkId:bob' }] },
        },
        { method: 'POST', path: '/Users', bulkId: 'alice', data: user('alice.bulk@example.com', { displayName: 'Alice' }) },
        // Bob's manager is Carol, created after him.
        { method: 'post', path: '/Users', bulkId: 'bob', data: withManager('bob.bulk@example.com', 'bulkId:carol') },
        { method: 'POST', path: '/Users', bulkId: 'carol', data: user('carol.bulk@example.com') },
      ], {}, scim, requestId);
      const results = resultsOf(reply);
      expect(results.map((result) => [result.method, result.bulkId, result.status])).to.deep.equal([
        ['POST', 'guides', '201'], ['POST', 'alice', '201'], ['POST', 'bob', '201'], ['POST', 'carol', '201'],
      ]);
      for (const result of results) {
        expect(result.version, JSON.stringify(result)).to.equal('W/"1"');
        expect(result, JSON.stringify(result)).to.not.have.property('response');
        expect(result.location?.startsWith(`${scim.baseUrl}/`), result.location).to.equal(true);
      }
      const groupId = idFrom(results[0], 'Groups');
      const [aliceId, bobId, carolId] = [idFrom(results[1], 'Users'), idFrom(results[2], 'Users'), idFrom(results[3], 'Users')];

      const group = await scim.get(`/Groups/${groupId}`);
      expect(group.body.displayName).to.equal('Bulk Guides');
      expect((group.body.members as { value: string }[]).map((member) => member.value).sort()).to.deep.equal([aliceId, bobId].sort());
      const bob = await scim.get(`/Users/${bobId}`);
      expect(((bob.body[ENTERPRISE_SCHEMA] as Record<string, Record<string, unknown>>).manager)?.value).to.equal(carolId);
      expect((bob.body.groups as { value: string }[]).map((g) => g.value)).to.deep.equal([groupId]);

      // Each applied operation wrote its audit event, under the Bulk request's id.
      expect((await auditOf(requestId)).sort()).to.deep.equal([
        `role.create ${groupId}`, `user.create ${aliceId}`, `user.create ${bobId}`, `user.create ${carolId}`,
      ].sort());
    });

    it('runs PATCH, PUT and DELETE on resources named by bulkId in the path, and on existing ones', async () => {
      const existing = await scim.post('/Users', user('existing.bulk@example.com'));
      expect(existing.status, existing.text).to.equal(201);
      const existingId = existing.body.id as string;
      const requestId = `bulk-update-${randomUUID()}`;
      const reply = await bulk([
        { method: 'PATCH', path: '/Users/bulkId:dave', data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] } },
        { method: 'POST', path: '/Users', bulkId: 'dave', data: user('dave.bulk@example.com') },
        { method: 'POST', path: '/Groups', bulkId: 'team', data: { schemas: [GROUP_SCHEMA], displayName: 'Bulk Team' } },
        {
          method: 'PATCH', path: '/Groups/bulkId:team',
          data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:dave' }] }] },
        },
        { method: 'PUT', path: '/Users/bulkId:dave', version: 'W/"2"', data: user('dave.bulk@example.com', { displayName: 'Dave', active: false }) },
        { method: 'DELETE', path: `/Users/${existingId}` },
      ], {}, scim, requestId);
      const results = resultsOf(reply);
      expect(results.map((result) => result.status)).to.deep.equal(['200', '201', '201', '204', '200', '204']);
      const daveId = idFrom(results[1], 'Users');
      const teamId = idFrom(results[2], 'Groups');
      expect(results[0]).to.deep.equal({ method: 'PATCH', location: `${scim.baseUrl}/Users/${daveId}`, version: 'W/"2"', status: '200' });
      expect(results[3]).to.deep.include({ method: 'PATCH', location: `${scim.baseUrl}/Groups/${teamId}`, status: '204' });
      expect(results[4]).to.deep.equal({ method: 'PUT', location: `${scim.baseUrl}/Users/${daveId}`, version: 'W/"3"', status: '200' });
      expect(results[5]).to.deep.equal({ method: 'DELETE', location: `${scim.baseUrl}/Users/${existingId}`, status: '204' });

      const dave = await scim.get(`/Users/${daveId}`);
      expect(dave.body).to.deep.include({ active: false, displayName: 'Dave' });
      const team = await scim.get(`/Groups/${teamId}`);
      expect((team.body.members as { value: string }[]).map((member) => member.value)).to.deep.equal([daveId]);
      expectScimError(await scim.get(`/Users/${existingId}`), 404);
      const audit = await auditOf(requestId);
      expect(audit).to.have.length(6);
      expect(audit).to.include.members([`user.create ${daveId}`, `role.create ${teamId}`, `user.delete ${existingId}`]);
    });

    it('answers a stale version with 412 for that operation only', async () => {
      const created = await scim.post('/Users', user('versioned.bulk@example.com'));
      const id = created.body.id as string;
      const results = resultsOf(await bulk([
        { method: 'PATCH', path: `/Users/${id}`, version: 'W/"7"', data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
        { method: 'PATCH', path: `/Users/${id}`, version: 'W/"1"', data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'y' }] } },
      ]));
      expectFailure(results[0], 412);
      expect(results[0]?.location).to.equal(`${scim.baseUrl}/Users/${id}`);
      expect(results[1]?.status).to.equal('200');
      expect((await scim.get(`/Users/${id}`)).body.title).to.equal('y');
    });

    it('stops after failOnErrors errors and lists only the operations it processed', async () => {
      const results = resultsOf(await bulk([
        { method: 'POST', path: '/Users', bulkId: 'first', data: user('first.fail@example.com') },
        { method: 'DELETE', path: `/Users/${randomUUID()}` },
        { method: 'POST', path: '/Users', bulkId: 'second', data: user('second.fail@example.com') },
        { method: 'DELETE', path: `/Users/${randomUUID()}` },
      ], { failOnErrors: 1 }));
      expect(results.map((result) => [result.bulkId, result.status])).to.deep.equal([['first', '201'], [undefined, '404']]);
      expectFailure(results[1], 404);
      expect(await userNamed('first.fail@example.com')).to.not.equal(undefined);
      expect(await userNamed('second.fail@example.com')).to.equal(undefined);

      const two = resultsOf(await bulk([
        { method: 'DELETE', path: `/Users/${randomUUID()}` },
        { method: 'POST', path: '/Users', bulkId: 'third', data: user('third.fail@example.com') },
        { method: 'DELETE', path: `/Users/${randomUUID()}` },
        { method: 'POST', path: '/Users', bulkId: 'fourth', data: user('fourth.fail@example.com') },
      ], { failOnErrors: 2 }));
      expect(two.map((result) => result.status)).to.deep.equal(['404', '201', '404']);
      expect(await userNamed('fourth.fail@example.com')).to.equal(undefined);
    });

    it('applies the valid operations of a request and reports each invalid one in its place', async () => {
      const taken = await scim.post('/Users', user('taken.bulk@example.com'));
      expect(taken.status).to.equal(201);
      const results = resultsOf(await bulk([
        { method: 'POST', path: '/Users', bulkId: 'ok1', data: user('ok1.bulk@example.com') },
        { method: 'POST', path: '/Users', data: user('no-bulkid.bulk@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: user('taken.bulk@example.com') },
        { method: 'POST', path: '/Users', bulkId: 'bad', data: { schemas: [USER_SCHEMA] } },
        { method: 'PUT', path: '/Users/bulkId:ok1', data: 'not an object' },
        { method: 'GET', path: '/Users' },
        { method: 'DELETE', path: '/Widgets/1' },
        { method: 'PATCH', path: `/Groups/${randomUUID()}`, data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: randomUUID() }] }] } },
        { method: 'POST', path: '/Groups', bulkId: 'ok2', data: { schemas: [GROUP_SCHEMA], displayName: 'Bulk Valid', members: [{ value: 'bulkId:ok1' }] } },
      ]));
      expect(results.map((result) => result.status)).to.deep.equal(['201', '400', '409', '400', '400', '400', '400', '404', '201']);
      expect(expectFailure(results[1], 400, 'invalidValue')).to.match(/bulkId/);
      expect(results[1]).to.not.have.property('location');
      expectFailure(results[2], 409, 'uniqueness');
      expect(results[2]?.bulkId).to.equal('dup');
      expect(results[2]).to.not.have.property('location');
      expectFailure(results[3], 400, null);
      expectFailure(results[4], 400, 'invalidSyntax');
      expect(results[5]?.method).to.equal('GET');
      expect(expectFailure(results[5], 400, 'invalidValue')).to.match(/method/);
      expect(expectFailure(results[6], 400, 'invalidValue')).to.match(/path/);
      expectFailure(results[7], 404);
      const ok1 = await userNamed('ok1.bulk@example.com');
      expect(ok1).to.not.equal(undefined);
      const group = await scim.get(`/Groups/${idFrom(results[8], 'Groups')}`);
      expect((group.body.members as { value: string }[]).map((member) => member.value)).to.deep.equal([ok1?.id]);
      expect(await userNamed('no-bulkid.bulk@example.com')).to.equal(undefined);
    });

    it('answers the operations of a circular reference with 409 and runs the others', async () => {
      const before = await tableCounts(server);
      const results = resultsOf(await bulk([
        { method: 'POST', path: '/Users', bulkId: 'ping', data: withManager('ping.bulk@example.com', 'bulkId:pong') },
        { method: 'POST', path: '/Users', bulkId: 'pong', data: withManager('pong.bulk@example.com', 'bulkId:ping') },
        { method: 'POST', path: '/Users', bulkId: 'narcissus', data: withManager('narcissus.bulk@example.com', 'bulkId:narcissus') },
        { method: 'POST', path: '/Users', bulkId: 'follower', data: withManager('follower.bulk@example.com', 'bulkId:ping') },
        { method: 'POST', path: '/Users', bulkId: 'bystander', data: user('bystander.bulk@example.com') },
      ]));
      expect(results.map((result) => result.status)).to.deep.equal(['409', '409', '409', '409', '201']);
      for (const result of results.slice(0, 3)) expect(expectFailure(result, 409, 'invalidValue')).to.match(/circular/);
      expect(expectFailure(results[3], 409, 'invalidValue')).to.match(/"ping" failed/);
      for (const name of ['ping', 'pong', 'narcissus', 'follower']) expect(await userNamed(`${name}.bulk@example.com`)).to.equal(undefined);
      const after = await tableCounts(server);
      expect(after.users - before.users).to.equal(1);
    });

    it('answers a reference to an unknown bulkId, or to a failed POST, with 409 invalidValue', async () => {
      const results = resultsOf(await bulk([
        { method: 'PATCH', path: '/Users/bulkId:nobody', data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] } },
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP_SCHEMA], displayName: 'Bulk Unknown', members: [{ value: 'bulkId:nobody' }] } },
        { method: 'POST', path: '/Users', bulkId: 'broken', data: { schemas: [USER_SCHEMA] } },
        { method: 'DELETE', path: '/Users/bulkId:broken' },
      ]));
      expect(results.map((result) => result.status)).to.deep.equal(['409', '409', '400', '409']);
      expect(expectFailure(results[0], 409, 'invalidValue')).to.match(/"nobody"/);
      expect(results[0]).to.not.have.property('location');
      expect(expectFailure(results[1], 409, 'invalidValue')).to.match(/"nobody"/);
      expect(expectFailure(results[3], 409, 'invalidValue')).to.match(/"broken" failed/);
      const groups = await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Bulk Unknown"')}`);
      expect(groups.body.totalResults).to.equal(0);
    });

    it('refuses more than maxOperations operations with 413, stating the limit, and runs none', async () => {
      const operations = Array.from({ length: 1001 }, (_, index) => ({
        method: 'POST', path: '/Users', bulkId: `u${index}`, data: user(`many${index}.bulk@example.com`),
      }));
      const reply = await writesNothing(server, () => bulk(operations));
      expect(expectScimError(reply, 413)).to.match(/maxOperations/).and.to.include('1000');
      const atLimit = resultsOf(await bulk(operations.slice(0, 1000).map((_, index) => ({ method: 'DELETE', path: `/Users/missing-${index}` }))));
      expect(atLimit).to.have.length(1000);
      expect(atLimit.every((result) => result.status === '404')).to.equal(true);
    });

    it('refuses a request body over 1 MiB with 413 and a SCIM error, and runs nothing', async () => {
      const big = 'x'.repeat(600_000);
      const reply = await writesNothing(server, () => bulk([
        { method: 'POST', path: '/Users', bulkId: 'a', data: user('big-a.bulk@example.com', { displayName: big }) },
        { method: 'POST', path: '/Users', bulkId: 'b', data: user('big-b.bulk@example.com', { displayName: big }) },
      ]));
      expect(expectScimError(reply, 413)).to.include('1048576');
    });

    it('keeps Bulk within maxPayloadSize when MAX_BODY_BYTES is raised', async () => {
      const roomy = await TestServer.start(config, { maxBodyBytes: 4 * 1024 * 1024 });
      try {
        const client = roomy.client(await roomy.token('roomy', ['SCIM Provisioning']));
        const big = 'x'.repeat(600_000);
        const operations = [
          { method: 'POST', path: '/Users', bulkId: 'a', data: user('roomy-a.bulk@example.com', { displayName: big }) },
          { method: 'POST', path: '/Users', bulkId: 'b', data: user('roomy-b.bulk@example.com', { displayName: big }) },
        ];
        const reply = await writesNothing(roomy, () => client.post('/Bulk', { schemas: [BULK_REQUEST], Operations: operations }));
        expect(expectScimError(reply, 413)).to.match(/maxPayloadSize of 1048576/);
      } finally {
        await roomy.stop();
      }
    });

    it('refuses a body without the BulkRequest schema or Operations with 400 invalidSyntax', async () => {
      const operations = [{ method: 'POST', path: '/Users', bulkId: 'a', data: user('schema.bulk@example.com') }];
      for (const body of [
        { Operations: operations },
        { schemas: [PATCH_SCHEMA], Operations: operations },
        { schemas: [BULK_REQUEST] },
        { schemas: [BULK_REQUEST], Operations: { method: 'POST' } },
      ]) {
        const reply = await writesNothing(server, () => scim.post('/Bulk', body));
        expectScimError(reply, 400, 'invalidSyntax');
      }
      const badFail = await writesNothing(server, () => bulk(operations, { failOnErrors: 0 }));
      expectScimError(badFail, 400, 'invalidValue');
      const notJson = await writesNothing(server, () => scim.raw('POST', '/Bulk', '{"schemas":', { 'Content-Type': 'application/scim+json' }));
      expectScimError(notJson, 400, 'invalidSyntax');
    });

    it('answers each write of a read-only caller with 403 in its place, and writes nothing', async () => {
      const target = await scim.post('/Users', user('target.bulk@example.com'));
      const group = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Bulk Protected' });
      const reply = await writesNothing(server, () => bulk([
        { method: 'POST', path: '/Users', bulkId: 'sneaky', data: user('sneaky.bulk@example.com') },
        { method: 'POST', path: '/Groups', bulkId: 'crew', data: { schemas: [GROUP_SCHEMA], displayName: 'Sneaky Crew', members: [{ value: 'bulkId:sneaky' }] } },
        { method: 'PATCH', path: `/Users/${target.body.id as string}`, data: { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] } },
        { method: 'PUT', path: '/Users/bulkId:sneaky', data: user('sneaky.bulk@example.com') },
        { method: 'DELETE', path: `/Groups/${group.body.id as string}` },
        { method: 'POST', path: '/Users', bulkId: 'invalid', data: 'not even an object' },
      ], {}, readOnly));
      const results = resultsOf(reply);
      expect(results).to.have.length(6);
      for (const result of results) expect(expectFailure(result, 403)).to.match(/lacks the (users|groups):write permission/);
      expect((await scim.get(`/Users/${target.body.id as string}`)).body.active).to.not.equal(false);
    });

    it('answers an empty Operations array with an empty BulkResponse', async () => {
      expect(resultsOf(await bulk([]))).to.deep.equal([]);
    });
  });
}
