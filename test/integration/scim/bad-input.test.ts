import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { expect } from 'chai';
import {
  expectScimError, rawRequest, rows, tableCounts, writesNothing,
} from '../../support/assertions';
import { testDatabases } from '../../support/databases';
import {
  GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient, type ScimReply,
} from '../../support/test-server';

/** Fixed ids of system roles (migrations/1763900000001-seed-system-roles.ts). */
const AUDITOR_ID = '00000000-0000-4000-8000-000000000003';
/** A normal-risk system role whose permissions a SCIM client holds itself: granting it is not governed. */
const HELP_DESK_ID = '00000000-0000-4000-8000-000000000004';
const BATCH_SYNC_ID = '00000000-0000-4000-8000-00000000000c';

const SCIM_JSON = { 'Content-Type': 'application/scim+json' };

/** Sends a body in chunks without Content-Length (Transfer-Encoding: chunked), so only the read limit can stop it. */
function chunkedPost(url: string, token: string, chunks: number, chunk: string): Promise<ScimReply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
    }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (typeof value === 'string') headers.set(name, value);
        }
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = {};
        }
        resolve({ status: response.statusCode ?? 0, headers, body, text });
      });
    });
    // The server may answer and close before it has read everything: that is the point.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    request.write(`{"schemas":["${USER_SCHEMA}"],"userName":"chunked@example.com","displayName":"`);
    let sent = 0;
    const pump = (): void => {
      while (sent < chunks) {
        sent += 1;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
      request.end('"}');
    };
    pump();
  });
}

for (const database of testDatabases()) {
  describe(`Bad input to the SCIM API on ${database.name}`, () => {
    let server: TestServer;
    let scim: ScimClient;
    let token: string;
    let aliceId: string;
    let bobId: string;
    let engineersId: string;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      token = await server.token('bad-input-client', ['SCIM Provisioning']);
      scim = server.client(token);
      const alice = await scim.post('/Users', {
        schemas: [USER_SCHEMA], userName: 'alice@example.com', displayName: 'Alice',
        emails: [{ value: 'alice@example.com', type: 'work', primary: true }],
      });
      expect(alice.status, alice.text).to.equal(201);
      aliceId = alice.body.id as string;
      const bob = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'bob@example.com' });
      expect(bob.status, bob.text).to.equal(201);
      bobId = bob.body.id as string;
      const engineers = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineers' });
      expect(engineers.status, engineers.text).to.equal(201);
      engineersId = engineers.body.id as string;
    });

    after(async () => {
      await server.stop();
    });

    describe('malformed and unacceptable bodies', () => {
      const malformed = ['{"schemas": [', '{userName: "x"}', '{"userName": "x",}', '{"a": 1} trailing', '\u00ff\u00fe'];

      it('answers malformed JSON on POST /Users with 400 invalidSyntax and writes nothing', async () => {
        for (const text of malformed) {
          const reply = await writesNothing(server, () => scim.raw('POST', '/Users', text, SCIM_JSON));
          expect(expectScimError(reply, 400, 'invalidSyntax')).to.match(/not valid JSON/);
        }
      });

      it('answers malformed JSON on PUT and PATCH of Users and Groups with 400 invalidSyntax and writes nothing', async () => {
        for (const path of [`/Users/${aliceId}`, `/Groups/${engineersId}`]) {
          for (const method of ['PUT', 'PATCH']) {
            for (const text of malformed) {
              const reply = await writesNothing(server, () => scim.raw(method, path, text, SCIM_JSON));
              expect(expectScimError(reply, 400, 'invalidSyntax'), `${method} ${path} ${text}`).to.match(/not valid JSON/);
            }
          }
        }
        const alice = await scim.get(`/Users/${aliceId}`);
        expect((alice.body.meta as Record<string, string>).version).to.equal('W/"1"');
      });

      it('answers a body that is JSON but not an object (array, string, number, null, boolean) with 400 invalidSyntax', async () => {
        for (const text of ['[]', `[{"schemas":["${USER_SCHEMA}"],"userName":"x"}]`, '"alice"', '42', 'null', 'true']) {
          for (const [method, path] of [['POST', '/Users'], ['POST', '/Groups'], ['PUT', `/Users/${aliceId}`],
            ['PATCH', `/Users/${aliceId}`], ['PATCH', `/Groups/${engineersId}`]] as const) {
            const reply = await writesNothing(server, () => scim.raw(method, path, text, SCIM_JSON));
            expect(expectScimError(reply, 400, 'invalidSyntax'), `${method} ${path} ${text}`).to.match(/JSON object/);
          }
        }
      });

      it('answers a body sent as text/plain or application/xml with 415 and writes nothing', async () => {
        const body = JSON.stringify({ schemas: [USER_SCHEMA], userName: 'typed@example.com' });
        for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
          const reply = await writesNothing(server, () => scim.raw('POST', '/Users', body, { 'Content-Type': type }));
          expect(expectScimError(reply, 415)).to.include(type);
        }
        const put = await writesNothing(server, () => scim.raw('PUT', `/Users/${aliceId}`, body, { 'Content-Type': 'text/plain' }));
        expectScimError(put, 415);
        const patch = await writesNothing(server, () => scim.raw('PATCH', `/Groups/${engineersId}`,
          JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'X' }] }),
          { 'Content-Type': 'application/xml' }));
        expectScimError(patch, 415);
      });

      it('answers a body sent without any Content-Type with 415 and writes nothing', async () => {
        const bytes = new TextEncoder().encode(JSON.stringify({ schemas: [USER_SCHEMA], userName: 'untyped@example.com' }));
        const reply = await writesNothing(server, () => rawRequest(`${scim.baseUrl}/Users`, {
          method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: bytes,
        }));
        expect(expectScimError(reply, 415)).to.match(/Content-Type must be/);
      });

      it('accepts plain application/json with a charset, as Okta sends it', async () => {
        const reply = await scim.raw('POST', '/Users', JSON.stringify({ schemas: [USER_SCHEMA], userName: 'okta-style@example.com' }),
          { 'Content-Type': 'application/json; charset=utf-8' });
        expect(reply.status, reply.text).to.equal(201);
        expect((await scim.delete(`/Users/${reply.body.id as string}`)).status).to.equal(204);
      });

      it('answers a body over 1 MB with 413 and writes nothing', async () => {
        const big = 'x'.repeat(1_100_000);
        const post = await writesNothing(server, () => scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'big@example.com', displayName: big }));
        expect(expectScimError(post, 413)).to.match(/larger than the limit of 1048576 bytes/);
        const group = await writesNothing(server, () => scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: big }));
        expectScimError(group, 413);
        const put = await writesNothing(server, () => scim.put(`/Users/${aliceId}`, { schemas: [USER_SCHEMA], userName: 'alice@example.com', displayName: big }));
        expectScimError(put, 413);
        const patch = await writesNothing(server, () => scim.patch(`/Groups/${engineersId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: big }],
        }));
        expectScimError(patch, 413);
      });

      it('answers an over-long body sent chunked, without Content-Length, with 413 and writes nothing', async () => {
        const reply = await writesNothing(server, () => chunkedPost(`${scim.baseUrl}/Users`, token, 40, 'y'.repeat(32 * 1024)));
        expectScimError(reply, 413);
      });

      it('answers an empty POST body with 400 invalidSyntax', async () => {
        for (const text of ['', '   \n']) {
          const reply = await writesNothing(server, () => scim.raw('POST', '/Users', text, SCIM_JSON));
          expect(expectScimError(reply, 400, 'invalidSyntax')).to.match(/empty/);
        }
        const noBody = await writesNothing(server, () => scim.raw('POST', '/Groups', undefined, SCIM_JSON));
        expect(expectScimError(noBody, 400, 'invalidSyntax')).to.match(/empty/);
        const emptyPatch = await writesNothing(server, () => scim.raw('PATCH', `/Users/${aliceId}`, '', SCIM_JSON));
        expectScimError(emptyPatch, 400, 'invalidSyntax');
      });

      describe('nesting', () => {
        /** JSON text of `levels` objects and arrays nested in one another, around a string. */
        const nested = (levels: number): string =>
          `${'{"a":['.repeat(levels / 2)}"deep"${']}'.repeat(levels / 2)}`;
        const patchText = (value: string): string =>
          `{"schemas":["${PATCH_SCHEMA}"],"Operations":[{"op":"replace","path":"title","value":${value}}]}`;
        const DEPTH_REFUSED = /deeper than 64 levels/;

        it('answers a PATCH value nested 100,000 deep with 400 invalidValue, writes nothing and keeps serving', async () => {
          const before = await scim.get(`/Users/${aliceId}`);
          const text = patchText(nested(100_000));
          expect(Buffer.byteLength(text), 'within the 1 MiB body limit').to.be.below(1024 * 1024);
          for (const path of [`/Users/${aliceId}`, `/Groups/${engineersId}`]) {
            const reply = await writesNothing(server, () => scim.raw('PATCH', path, text, SCIM_JSON));
            expect(expectScimError(reply, 400, 'invalidValue'), path).to.match(DEPTH_REFUSED);
          }
          const after = await scim.get(`/Users/${aliceId}`);
          expect(after.status, after.text).to.equal(200);
          expect(after.body).to.deep.equal(before.body);
          const group = await scim.get(`/Groups/${engineersId}`);
          expect(group.status, group.text).to.equal(200);
        });

        it('answers every body-reading operation nested too deep with 400 invalidValue', async () => {
          const value = nested(1_000);
          const bodies: [string, string, string][] = [
            ['POST', '/Users', `{"schemas":["${USER_SCHEMA}"],"userName":"deep@example.com","nickName":${value}}`],
            ['PUT', `/Users/${aliceId}`, `{"schemas":["${USER_SCHEMA}"],"userName":"alice@example.com","nickName":${value}}`],
            ['POST', '/Groups', `{"schemas":["${GROUP_SCHEMA}"],"displayName":"Deep","x":${value}}`],
            ['POST', '/Users/.search', `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":${value}}`],
          ];
          for (const [method, path, text] of bodies) {
            const reply = await writesNothing(server, () => scim.raw(method, path, text, SCIM_JSON));
            expect(expectScimError(reply, 400, 'invalidValue'), `${method} ${path}`).to.match(DEPTH_REFUSED);
          }
        });

        it('answers a Bulk request with a deeply nested operation with 400 invalidValue and applies none of its operations', async () => {
          const text = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`
            + `{"method":"POST","path":"/Users","bulkId":"ok","data":{"schemas":["${USER_SCHEMA}"],"userName":"bulk-fine@example.com"}},`
            + `{"method":"PATCH","path":"/Users/${aliceId}","data":${patchText(nested(100_000))}}]}`;
          const reply = await writesNothing(server, () => scim.raw('POST', '/Bulk', text, SCIM_JSON));
          expect(expectScimError(reply, 400, 'invalidValue')).to.match(DEPTH_REFUSED);
        });

        it('reads a body nested exactly 64 levels deep and refuses one nested 65', async () => {
          // The PATCH message itself takes 3 levels: the object, Operations, the operation.
          const atLimit = await scim.raw('PATCH', `/Users/${aliceId}`, patchText(`[${nested(60)}]`), SCIM_JSON);
          expect(atLimit.status, atLimit.text).to.equal(400);
          expect(atLimit.body.detail, 'refused for its value, not for its depth').to.not.match(DEPTH_REFUSED);
          const over = await scim.raw('PATCH', `/Users/${aliceId}`, patchText(`[[${nested(60)}]]`), SCIM_JSON);
          expect(expectScimError(over, 400, 'invalidValue')).to.match(DEPTH_REFUSED);
        });
      });
    });

    describe('resources that do not fit the schema', () => {
      it('answers a User without userName, or with an empty one, with 400 invalidValue naming userName', async () => {
        for (const body of [
          { schemas: [USER_SCHEMA], displayName: 'Nameless' },
          { schemas: [USER_SCHEMA], userName: '' },
          { schemas: [USER_SCHEMA], userName: '   ' },
          { schemas: [USER_SCHEMA], userName: null },
        ]) {
          const reply = await writesNothing(server, () => scim.post('/Users', body));
          expect(expectScimError(reply, 400, 'invalidValue'), JSON.stringify(body)).to.include('userName');
        }
        const put = await writesNothing(server, () => scim.put(`/Users/${aliceId}`, { schemas: [USER_SCHEMA], displayName: 'Alice' }));
        expect(expectScimError(put, 400, 'invalidValue')).to.include('userName');
      });

      it('answers a Group without displayName with 400 invalidValue naming displayName', async () => {
        for (const body of [{ schemas: [GROUP_SCHEMA] }, { schemas: [GROUP_SCHEMA], displayName: '' },
          { schemas: [GROUP_SCHEMA], externalId: 'g-1' }]) {
          const reply = await writesNothing(server, () => scim.post('/Groups', body));
          expect(expectScimError(reply, 400, 'invalidValue'), JSON.stringify(body)).to.include('displayName');
        }
        const put = await writesNothing(server, () => scim.put(`/Groups/${engineersId}`, { schemas: [GROUP_SCHEMA] }));
        expect(expectScimError(put, 400, 'invalidValue')).to.include('displayName');
      });

      it('answers attributes of the wrong type with 400 invalidValue naming the attribute', async () => {
        const cases: [Record<string, unknown>, string, RegExp][] = [
          [{ active: 5 }, 'active', /boolean/],
          [{ active: 'maybe' }, 'active', /boolean/],
          [{ emails: 'carol@example.com' }, 'emails', /array/],
          [{ emails: { value: 'carol@example.com' } }, 'emails', /array/],
          [{ emails: [{ value: 7 }] }, 'emails.value', /string/],
          [{ name: 'Carol Smith' }, 'name', /complex/],
          [{ userName: 42 }, 'userName', /string/],
          [{ userName: ['carol@example.com'] }, 'userName', /string/],
        ];
        for (const [attributes, name, expected] of cases) {
          const body = { schemas: [USER_SCHEMA], userName: 'carol@example.com', ...attributes };
          const post = await writesNothing(server, () => scim.post('/Users', body));
          const detail = expectScimError(post, 400, 'invalidValue');
          expect(detail, JSON.stringify(attributes)).to.include(`"${name}"`).and.match(expected);
          const put = await writesNothing(server, () => scim.put(`/Users/${aliceId}`, { ...body, userName: 'alice@example.com', ...attributes }));
          expectScimError(put, 400, 'invalidValue');
        }
      });

      it('answers a PATCH that sets a wrongly typed value with 400 invalidValue and leaves the user unchanged', async () => {
        const reply = await writesNothing(server, () => scim.patch(`/Users/${aliceId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: 5 }],
        }));
        expect(expectScimError(reply, 400, 'invalidValue')).to.include('active');
        const alice = await scim.get(`/Users/${aliceId}`);
        expect(alice.body.active).to.equal(true);
        expect((alice.body.meta as Record<string, string>).version).to.equal('W/"1"');
      });

      it('answers an unknown attribute with 400 invalidSyntax naming it', async () => {
        const top = await writesNothing(server, () => scim.post('/Users', {
          schemas: [USER_SCHEMA], userName: 'dave@example.com', favouriteColour: 'blue',
        }));
        expect(expectScimError(top, 400, 'invalidSyntax')).to.include('"favouriteColour"');
        const nested = await writesNothing(server, () => scim.post('/Users', {
          schemas: [USER_SCHEMA], userName: 'dave@example.com', name: { givenName: 'Dave', nickName: 'D' },
        }));
        expect(expectScimError(nested, 400, 'invalidSyntax')).to.include('name.nickName');
        const group = await writesNothing(server, () => scim.post('/Groups', {
          schemas: [GROUP_SCHEMA], displayName: 'Designers', owner: 'dave',
        }));
        expect(expectScimError(group, 400, 'invalidSyntax')).to.include('"owner"');
        const put = await writesNothing(server, () => scim.put(`/Users/${aliceId}`, {
          schemas: [USER_SCHEMA], userName: 'alice@example.com', shoeSize: 38,
        }));
        expect(expectScimError(put, 400, 'invalidSyntax')).to.include('"shoeSize"');
      });

      it('answers an unknown attribute in a PATCH path with 400 invalidPath, and in a path-less value with invalidSyntax', async () => {
        const withPath = await writesNothing(server, () => scim.patch(`/Users/${aliceId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'favouriteColour', value: 'blue' }],
        }));
        expect(expectScimError(withPath, 400, 'invalidPath')).to.include('favouriteColour');
        const withoutPath = await writesNothing(server, () => scim.patch(`/Users/${aliceId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { favouriteColour: 'blue' } }],
        }));
        expect(expectScimError(withoutPath, 400, 'invalidSyntax')).to.include('favouriteColour');
      });

      it('answers an unknown schema URN in "schemas" with 400 invalidSyntax naming it', async () => {
        const acme = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
        const user = await writesNothing(server, () => scim.post('/Users', { schemas: [USER_SCHEMA, acme], userName: 'erin@example.com' }));
        expect(expectScimError(user, 400, 'invalidSyntax')).to.include(acme);
        const wrongCore = await writesNothing(server, () => scim.post('/Users', { schemas: [GROUP_SCHEMA], userName: 'erin@example.com' }));
        expect(expectScimError(wrongCore, 400, 'invalidSyntax')).to.include(USER_SCHEMA);
        const group = await writesNothing(server, () => scim.post('/Groups', { schemas: [GROUP_SCHEMA, acme], displayName: 'Acme' }));
        expect(expectScimError(group, 400, 'invalidSyntax')).to.include(acme);
      });

      it('answers a body without "schemas", or with a malformed one, with 400 invalidSyntax', async () => {
        for (const schemas of [undefined, USER_SCHEMA, [], [42], null]) {
          const body = { ...(schemas === undefined ? {} : { schemas }), userName: 'frank@example.com' };
          const reply = await writesNothing(server, () => scim.post('/Users', body));
          expect(expectScimError(reply, 400, 'invalidSyntax'), JSON.stringify(body)).to.include('schemas');
        }
        const group = await writesNothing(server, () => scim.post('/Groups', { displayName: 'No Schemas' }));
        expect(expectScimError(group, 400, 'invalidSyntax')).to.include('schemas');
        const put = await writesNothing(server, () => scim.put(`/Users/${aliceId}`, { userName: 'alice@example.com' }));
        expect(expectScimError(put, 400, 'invalidSyntax')).to.include('schemas');
      });

      it('ignores a different id and meta in a PUT: the stored id and created stay as they were', async () => {
        const before = await scim.get(`/Users/${bobId}`);
        const meta = before.body.meta as Record<string, string>;
        const [stored] = await rows(server, 'SELECT id, created_at FROM users WHERE id = ?', [bobId]);
        const otherId = randomUUID();
        const counts = await tableCounts(server);
        const reply = await scim.put(`/Users/${bobId}`, {
          schemas: [USER_SCHEMA], id: otherId, userName: 'bob@example.com', displayName: 'Bob',
          meta: { resourceType: 'Group', created: '2001-01-01T00:00:00Z', lastModified: '2001-01-01T00:00:00Z',
            version: 'W/"99"', location: 'https://evil.example.com/Users/x' },
        });
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.body.id).to.equal(bobId);
        expect(reply.body.displayName).to.equal('Bob');
        const replied = reply.body.meta as Record<string, string>;
        expect(replied.created).to.equal(meta.created);
        expect(replied.resourceType).to.equal('User');
        expect(replied.location).to.equal(`${scim.baseUrl}/Users/${bobId}`);
        expect(replied.version).to.equal('W/"2"');
        expect(await rows(server, 'SELECT id, created_at FROM users WHERE id = ?', [bobId])).to.deep.equal([stored]);
        expect(await rows(server, 'SELECT id FROM users WHERE id = ?', [otherId])).to.deep.equal([]);
        expect(await tableCounts(server)).to.deep.equal({ ...counts, audit_events: counts.audit_events + 1 });
        expectScimError(await scim.get(`/Users/${otherId}`), 404);
      });

      it('ignores a different id and meta in a PUT of a Group', async () => {
        const before = await scim.get(`/Groups/${engineersId}`);
        const otherId = randomUUID();
        const reply = await scim.put(`/Groups/${engineersId}`, {
          schemas: [GROUP_SCHEMA], id: otherId, displayName: 'Engineers',
          meta: { created: '2001-01-01T00:00:00Z', version: 'W/"42"' },
        });
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.body.id).to.equal(engineersId);
        expect((reply.body.meta as Record<string, string>).created).to.equal((before.body.meta as Record<string, string>).created);
        expect(await rows(server, 'SELECT id FROM roles WHERE id = ?', [otherId])).to.deep.equal([]);
      });
    });

    describe('PATCH requests that are not valid PatchOp messages', () => {
      const cases: [string, Record<string, unknown>, string, RegExp][] = [
        ['a wrong PatchOp schema', { schemas: ['urn:ietf:params:scim:api:messages:2.0:Patch'], Operations: [{ op: 'remove', path: 'title' }] },
          'invalidSyntax', /PatchOp/],
        ['the User schema instead of PatchOp', { schemas: [USER_SCHEMA], Operations: [{ op: 'remove', path: 'title' }] },
          'invalidSyntax', /PatchOp/],
        ['no schemas', { Operations: [{ op: 'remove', path: 'title' }] }, 'invalidSyntax', /schemas/],
        ['empty Operations', { schemas: [PATCH_SCHEMA], Operations: [] }, 'invalidSyntax', /non-empty array/],
        ['no Operations', { schemas: [PATCH_SCHEMA] }, 'invalidSyntax', /Operations/],
        ['Operations as an object', { schemas: [PATCH_SCHEMA], Operations: { op: 'remove', path: 'title' } }, 'invalidSyntax', /Operations/],
        ['an operation that is not an object', { schemas: [PATCH_SCHEMA], Operations: ['remove'] }, 'invalidSyntax', /Operations\[0\]/],
        ['an unknown op', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'move', path: 'title', value: 'x' }] }, 'invalidSyntax', /"move"/],
        ['a missing op', { schemas: [PATCH_SCHEMA], Operations: [{ path: 'title', value: 'x' }] }, 'invalidSyntax', /"op"/],
        ['remove without path', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove' }] }, 'noTarget', /requires a "path"/],
        ['remove with a blank path', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: '  ' }] }, 'noTarget', /requires a "path"/],
        ['add without value', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'title' }] }, 'invalidValue', /requires a "value"/],
        ['replace with a null value', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: null }] },
          'invalidValue', /requires a "value"/],
        ['a path that does not parse', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: 'emails[type eq' }] }, 'invalidPath', /position/],
        ['a path that is not a string', { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: 7 }] }, 'invalidPath', /string/],
      ];

      for (const [what, body, scimType, detail] of cases) {
        it(`answers a PATCH with ${what} with 400 ${scimType}, on Users and Groups alike`, async () => {
          for (const path of [`/Users/${aliceId}`, `/Groups/${engineersId}`]) {
            const reply = await writesNothing(server, () => scim.patch(path, body));
            expect(expectScimError(reply, 400, scimType), path).to.match(detail);
          }
        });
      }

      it('answers a PATCH that replaces the readOnly id with 400 mutability', async () => {
        for (const path of [`/Users/${aliceId}`, `/Groups/${engineersId}`]) {
          const reply = await writesNothing(server, () => scim.patch(path, {
            schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'id', value: randomUUID() }],
          }));
          expect(expectScimError(reply, 400, 'mutability'), path).to.include('readOnly');
        }
      });

      it('leaves the user unchanged when the second operation of a PATCH fails (atomic)', async () => {
        const [before] = await rows(server, 'SELECT profile, version, updated_at FROM users WHERE id = ?', [aliceId]);
        const reply = await writesNothing(server, () => scim.patch(`/Users/${aliceId}`, {
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'replace', path: 'displayName', value: 'Alice Changed' },
            { op: 'replace', path: 'emails[type eq "home"].value', value: 'alice@home.example.com' },
          ],
        }));
        expect(expectScimError(reply, 400, 'noTarget')).to.match(/^Operations\[1\]/);
        expect(await rows(server, 'SELECT profile, version, updated_at FROM users WHERE id = ?', [aliceId])).to.deep.equal([before]);
        const alice = await scim.get(`/Users/${aliceId}`);
        expect(alice.body.displayName).to.equal('Alice');
      });

      it('leaves the group and its members unchanged when the second operation of a PATCH fails (atomic)', async () => {
        const [before] = await rows(server, 'SELECT display_name, version, updated_at FROM roles WHERE id = ?', [engineersId]);
        const missing = randomUUID();
        const members = await writesNothing(server, () => scim.patch(`/Groups/${engineersId}`, {
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'add', path: 'members', value: [{ value: aliceId }] },
            { op: 'add', path: 'members', value: [{ value: missing }] },
          ],
        }));
        expect(expectScimError(members, 400, 'invalidValue')).to.include(missing);
        const renamed = await writesNothing(server, () => scim.patch(`/Groups/${engineersId}`, {
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'replace', path: 'displayName', value: 'Engineering' },
            { op: 'add', path: 'members', value: [{ value: bobId }] },
            { op: 'remove', path: 'members[display eq "Bob"]' },
          ],
        }));
        expectScimError(renamed, 400, 'invalidPath');
        expect(await rows(server, 'SELECT display_name, version, updated_at FROM roles WHERE id = ?', [engineersId])).to.deep.equal([before]);
        expect(await rows(server, 'SELECT user_id FROM role_members WHERE role_id = ?', [engineersId])).to.deep.equal([]);
      });
    });

    describe('filters that do not parse or do not fit', () => {
      const syntaxErrors = ['userName eq', 'userName eqq "x"', '(userName eq "x"', 'userName eq "x" and', 'userName eq "x")',
        'userName eq "unterminated', 'and userName eq "x"', 'userName[type eq "work"'];

      for (const filter of syntaxErrors) {
        it(`answers the filter ${JSON.stringify(filter)} with 400 invalidFilter naming a position`, async () => {
          for (const path of ['/Users', '/Groups']) {
            const reply = await scim.get(`${path}?filter=${encodeURIComponent(filter)}`);
            expect(expectScimError(reply, 400, 'invalidFilter'), path).to.match(/position \d+/);
          }
        });
      }

      it('answers a filter on an unknown attribute with 400 invalidFilter naming the attribute', async () => {
        const users = await scim.get(`/Users?filter=${encodeURIComponent('favouriteColour eq "blue"')}`);
        expect(expectScimError(users, 400, 'invalidFilter')).to.include('favouriteColour');
        const groups = await scim.get(`/Groups?filter=${encodeURIComponent('owner eq "dave"')}`);
        expect(expectScimError(groups, 400, 'invalidFilter')).to.include('owner');
        const sub = await scim.get(`/Users?filter=${encodeURIComponent('emails[colour eq "red"]')}`);
        expect(expectScimError(sub, 400, 'invalidFilter')).to.include('colour');
      });

      it('answers a 5000-character filter with 400 invalidFilter naming the limit', async () => {
        const filter = `userName eq "${'x'.repeat(5000)}"`;
        const reply = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
        expect(expectScimError(reply, 400, 'invalidFilter')).to.match(/at most 4096/);
      });
    });

    describe('resources that do not exist', () => {
      for (const [type, body] of [
        ['Users', { schemas: [USER_SCHEMA], userName: 'ghost@example.com' }],
        ['Groups', { schemas: [GROUP_SCHEMA], displayName: 'Ghosts' }],
      ] as const) {
        it(`answers GET, PUT, PATCH and DELETE of an unknown ${type} id with 404 and a SCIM error body`, async () => {
          for (const id of [randomUUID(), 'not-a-uuid', aliceId.toUpperCase()]) {
            const path = `/${type}/${id}`;
            expect(expectScimError(await scim.get(path), 404), `GET ${path}`).to.include(id);
            expectScimError(await writesNothing(server, () => scim.put(path, body)), 404);
            expectScimError(await writesNothing(server, () => scim.patch(path, {
              schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: type === 'Users' ? 'title' : 'displayName', value: 'x' }],
            })), 404);
            expectScimError(await writesNothing(server, () => scim.delete(path)), 404);
          }
        });
      }
    });

    describe('list parameters', () => {
      it('answers a count or startIndex that is not an integer with 400 invalidValue', async () => {
        for (const query of ['count=abc', 'startIndex=x', 'count=1.5', 'count=', 'startIndex=1e3', 'count=0x10']) {
          for (const path of ['/Users', '/Groups']) {
            const reply = await scim.get(`${path}?${query}`);
            if (query === 'count=') {
              // An empty parameter is an absent one.
              expect(reply.status, `${path}?${query}`).to.equal(200);
              continue;
            }
            expect(expectScimError(reply, 400, 'invalidValue'), `${path}?${query}`).to.match(/must be an integer/);
          }
        }
      });

      it('answers count=-1 with an empty page and an integer totalResults', async () => {
        const users = await scim.get('/Users?count=-1');
        expect(users.status, users.text).to.equal(200);
        expect(users.body.Resources).to.deep.equal([]);
        expect(users.body.itemsPerPage).to.equal(0);
        expect(users.body.totalResults).to.equal(await server.count('users'));
        const groups = await scim.get('/Groups?count=-1');
        expect(groups.body.Resources).to.deep.equal([]);
        expect(groups.body.totalResults).to.equal(await server.count('roles'));
      });

      it('treats startIndex=0 and negative startIndex as 1', async () => {
        const first = await scim.get('/Users?count=1');
        for (const startIndex of ['0', '-5']) {
          const reply = await scim.get(`/Users?count=1&startIndex=${startIndex}`);
          expect(reply.status, reply.text).to.equal(200);
          expect(reply.body.startIndex).to.equal(1);
          expect((reply.body.Resources as { id: string }[]).map((r) => r.id))
            .to.deep.equal((first.body.Resources as { id: string }[]).map((r) => r.id));
        }
      });

      it('caps count=100000 at the filter.maxResults of /ServiceProviderConfig (1000 items per page)', async () => {
        const config = await scim.get('/ServiceProviderConfig');
        const maxResults = (config.body.filter as Record<string, unknown>).maxResults;
        expect(maxResults).to.equal(1000);
        const now = new Date().toISOString();
        const ids = Array.from({ length: 1001 }, () => randomUUID());
        const values = ids.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
        const parameters = ids.flatMap((id, index) => {
          const name = `bulk-${String(index).padStart(4, '0')}@example.com`;
          return [id, name, name, JSON.stringify({ userName: name }), 1, now, now];
        });
        await server.running.dataSource.query(
          `INSERT INTO users (id, user_name, user_name_key, profile, version, created_at, updated_at) VALUES ${values}`, parameters);
        try {
          const reply = await scim.get('/Users?count=100000&attributes=userName');
          expect(reply.status, reply.text.slice(0, 300)).to.equal(200);
          expect(reply.body.totalResults).to.equal(await server.count('users'));
          expect(reply.body.totalResults).to.be.greaterThan(1000);
          expect(reply.body.itemsPerPage).to.equal(1000);
          expect(reply.body.Resources as unknown[]).to.have.length(1000);
        } finally {
          await server.running.dataSource.query('DELETE FROM users WHERE user_name LIKE ?', ['bulk-%']);
        }
      });

      it('answers sortOrder=sideways and sortBy of an unknown attribute with 400 invalidValue', async () => {
        for (const path of ['/Users', '/Groups']) {
          const sideways = await scim.get(`${path}?sortBy=id&sortOrder=sideways`);
          expect(expectScimError(sideways, 400, 'invalidValue')).to.include('sideways');
          const unknown = await scim.get(`${path}?sortBy=favouriteColour`);
          expect(expectScimError(unknown, 400, 'invalidValue')).to.include('favouriteColour');
        }
      });
    });

    describe('routes and methods', () => {
      it('answers an unknown SCIM route with 404 and a SCIM error body', async () => {
        for (const path of ['/Nope', '/Users/a/b', '/Bulks']) {
          const reply = await writesNothing(server, () => scim.get(path));
          expect(expectScimError(reply, 404), path).to.include(path);
        }
        const post = await writesNothing(server, () => scim.post('/Nope', { schemas: [USER_SCHEMA], userName: 'x@example.com' }));
        expectScimError(post, 404);
      });

      it('answers a route outside /scim/v2 with 404 and a SCIM error body', async () => {
        for (const path of ['/nope', '/', '/scim/v1/Users']) {
          const reply = await rawRequest(`${server.running.url}${path}`, { method: 'GET', headers: { Authorization: `Bearer ${token}` } });
          expectScimError(reply, 404);
        }
      });

      it('answers a method the route does not have with 405 and a SCIM error body', async () => {
        const cases: [string, string][] = [
          ['POST', `/Users/${aliceId}`], ['POST', `/Groups/${engineersId}`], ['DELETE', '/Users'], ['PUT', '/Groups'],
          ['PATCH', '/Users'], ['POST', '/ServiceProviderConfig'], ['DELETE', '/Schemas'],
        ];
        for (const [method, path] of cases) {
          const reply = await writesNothing(server, () => scim.raw(method, path,
            JSON.stringify({ schemas: [USER_SCHEMA], userName: 'method@example.com' }), SCIM_JSON));
          expect(expectScimError(reply, 405), `${method} ${path}`).to.match(/not allowed/);
        }
      });

      it('names the allowed methods in the Allow header of a 405 (RFC 9110 §15.5.6)', async () => {
        const cases: [string, string, string[]][] = [
          ['POST', `/Users/${aliceId}`, ['GET', 'PUT', 'PATCH', 'DELETE']],
          ['DELETE', '/Groups', ['GET', 'POST']],
        ];
        for (const [method, path, allowed] of cases) {
          const reply = await writesNothing(server, () => scim.raw(method, path,
            JSON.stringify({ schemas: [USER_SCHEMA], userName: 'method@example.com' }), SCIM_JSON));
          expectScimError(reply, 405);
          const allow = (reply.headers.get('allow') ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
          expect(allow, `Allow of ${method} ${path}`).to.include.members(allowed).and.not.include(method);
        }
      });
    });

    describe('uniqueness', () => {
      it('answers a userName that differs from an existing one only in case with 409 uniqueness', async () => {
        const post = await writesNothing(server, () => scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'ALICE@Example.COM' }));
        expect(expectScimError(post, 409, 'uniqueness')).to.include('ALICE@Example.COM');
        const put = await writesNothing(server, () => scim.put(`/Users/${bobId}`, { schemas: [USER_SCHEMA], userName: 'Alice@example.com' }));
        expectScimError(put, 409, 'uniqueness');
        const patch = await writesNothing(server, () => scim.patch(`/Users/${bobId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'userName', value: 'alice@EXAMPLE.com' }],
        }));
        expectScimError(patch, 409, 'uniqueness');
        const bob = await scim.get(`/Users/${bobId}`);
        expect(bob.body.userName).to.equal('bob@example.com');
      });

      it('answers a Group displayName that differs from an existing one only in case with 409 uniqueness', async () => {
        const custom = await writesNothing(server, () => scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'ENGINEERS' }));
        expect(expectScimError(custom, 409, 'uniqueness')).to.include('ENGINEERS');
        const system = await writesNothing(server, () => scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'auditor' }));
        expectScimError(system, 409, 'uniqueness');
        const other = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Designers' });
        expect(other.status, other.text).to.equal(201);
        const otherId = other.body.id as string;
        try {
          const rename = await writesNothing(server, () => scim.patch(`/Groups/${otherId}`, {
            schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'engineers' }],
          }));
          expectScimError(rename, 409, 'uniqueness');
          const put = await writesNothing(server, () => scim.put(`/Groups/${otherId}`, { schemas: [GROUP_SCHEMA], displayName: 'Batch Sync' }));
          expectScimError(put, 409, 'uniqueness');
          expect((await scim.get(`/Groups/${otherId}`)).body.displayName).to.equal('Designers');
        } finally {
          expect((await scim.delete(`/Groups/${otherId}`)).status).to.equal(204);
        }
      });
    });

    describe('the Batch sync role, which only service accounts may hold', () => {
      async function expectRefused(request: () => Promise<ScimReply>): Promise<void> {
        const [before] = await rows(server, 'SELECT version, updated_at FROM roles WHERE id = ?', [BATCH_SYNC_ID]);
        const reply = await writesNothing(server, request);
        expect(expectScimError(reply, 400, 'invalidValue')).to.match(/service accounts/).and.include('Batch sync');
        expect(await rows(server, 'SELECT version, updated_at FROM roles WHERE id = ?', [BATCH_SYNC_ID])).to.deep.equal([before]);
        expect(await rows(server, 'SELECT user_id FROM role_members WHERE role_id = ?', [BATCH_SYNC_ID])).to.deep.equal([]);
      }

      it('refuses a user added by PATCH add members with 400 invalidValue saying why', async () => {
        await expectRefused(() => scim.patch(`/Groups/${BATCH_SYNC_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: aliceId }] }],
        }));
        await expectRefused(() => scim.patch(`/Groups/${BATCH_SYNC_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'Add', value: { members: [{ value: aliceId }] } }],
        }));
        await expectRefused(() => scim.patch(`/Groups/${BATCH_SYNC_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'members', value: [{ value: aliceId }, { value: bobId }] }],
        }));
      });

      it('refuses a user given as a member in a PUT with 400 invalidValue saying why', async () => {
        await expectRefused(() => scim.put(`/Groups/${BATCH_SYNC_ID}`, {
          schemas: [GROUP_SCHEMA], displayName: 'Batch sync', members: [{ value: aliceId, type: 'User' }],
        }));
      });

      it('refuses a user added after a legitimate first operation, and applies neither', async () => {
        await expectRefused(() => scim.patch(`/Groups/${BATCH_SYNC_ID}`, {
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'replace', path: 'displayName', value: 'Batch sync' },
            { op: 'add', path: 'members', value: [{ value: bobId }] },
          ],
        }));
        await expectRefused(() => scim.patch(`/Groups/${BATCH_SYNC_ID}`, {
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'remove', path: `members[value eq "${aliceId}"]` },
            { op: 'add', path: 'members', value: [{ value: bobId }] },
          ],
        }));
      });
    });

    describe('system roles', () => {
      it('refuses to rename the Auditor role by PUT with 400 mutability', async () => {
        const reply = await writesNothing(server, () => scim.put(`/Groups/${AUDITOR_ID}`, { schemas: [GROUP_SCHEMA], displayName: 'Auditors' }));
        expect(expectScimError(reply, 400, 'mutability')).to.include('system role');
        expect((await scim.get(`/Groups/${AUDITOR_ID}`)).body.displayName).to.equal('Auditor');
      });

      it('refuses to rename the Auditor role or give it an externalId by PATCH with 400 mutability', async () => {
        const rename = await writesNothing(server, () => scim.patch(`/Groups/${AUDITOR_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: 'Auditors' }],
        }));
        expect(expectScimError(rename, 400, 'mutability')).to.include('displayName');
        const external = await writesNothing(server, () => scim.patch(`/Groups/${AUDITOR_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'externalId', value: 'auditors-in-okta' }],
        }));
        expect(expectScimError(external, 400, 'mutability')).to.include('externalId');
        const [row] = await rows(server, 'SELECT display_name, external_id, version FROM roles WHERE id = ?', [AUDITOR_ID]);
        expect(row).to.deep.include({ display_name: 'Auditor', external_id: null });
        expect(Number(row?.version)).to.equal(1);
      });

      it('refuses to delete the Auditor role with 403', async () => {
        const reply = await writesNothing(server, () => scim.delete(`/Groups/${AUDITOR_ID}`));
        expect(expectScimError(reply, 403)).to.include('system role');
        expect((await scim.get(`/Groups/${AUDITOR_ID}`)).status).to.equal(200);
      });

      it('lets a normal user join and leave the Help Desk Administrator role: the membership of system roles is manageable', async () => {
        const before = await tableCounts(server);
        const added = await scim.patch(`/Groups/${HELP_DESK_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: bobId }] }],
        });
        expect(added.status, added.text).to.equal(204);
        expect(await rows(server, 'SELECT user_id FROM role_members WHERE role_id = ?', [HELP_DESK_ID])).to.deep.equal([{ user_id: bobId }]);
        expect(await tableCounts(server)).to.deep.equal({
          ...before, role_members: before.role_members + 1, audit_events: before.audit_events + 1,
        });
        const bob = await scim.get(`/Users/${bobId}`);
        expect((bob.body.groups as Record<string, unknown>[]).map((group) => [group.value, group.display]))
          .to.deep.equal([[HELP_DESK_ID, 'Help Desk Administrator']]);

        const put = await scim.put(`/Groups/${HELP_DESK_ID}`, {
          schemas: [GROUP_SCHEMA], displayName: 'Help Desk Administrator', members: [{ value: aliceId }],
        });
        expect(put.status, put.text).to.equal(200);
        expect((put.body.members as { value: string }[]).map((m) => m.value)).to.deep.equal([aliceId]);

        const removed = await scim.patch(`/Groups/${HELP_DESK_ID}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: 'members' }],
        });
        expect(removed.status, removed.text).to.equal(204);
        expect(await rows(server, 'SELECT user_id FROM role_members WHERE role_id = ?', [HELP_DESK_ID])).to.deep.equal([]);
        expect((await scim.get(`/Groups/${HELP_DESK_ID}`)).body.displayName).to.equal('Help Desk Administrator');
      });
    });

    describe('members that do not exist', () => {
      it('refuses to create a Group with a member that does not exist, and creates no role', async () => {
        const missing = randomUUID();
        const reply = await writesNothing(server, () => scim.post('/Groups', {
          schemas: [GROUP_SCHEMA], displayName: 'Phantoms', members: [{ value: aliceId }, { value: missing }],
        }));
        expect(expectScimError(reply, 400, 'invalidValue')).to.include(missing);
        expect(await rows(server, 'SELECT id FROM roles WHERE display_name_key = ?', ['phantoms'])).to.deep.equal([]);
      });

      it('refuses a PATCH or PUT that adds a member that does not exist', async () => {
        const missing = randomUUID();
        const patch = await writesNothing(server, () => scim.patch(`/Groups/${engineersId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: missing }] }],
        }));
        expect(expectScimError(patch, 400, 'invalidValue')).to.include(missing);
        const put = await writesNothing(server, () => scim.put(`/Groups/${engineersId}`, {
          schemas: [GROUP_SCHEMA], displayName: 'Engineers', members: [{ value: bobId }, { value: missing }],
        }));
        expect(expectScimError(put, 400, 'invalidValue')).to.include(missing);
        expect(await rows(server, 'SELECT user_id FROM role_members WHERE role_id = ?', [engineersId])).to.deep.equal([]);
      });

      it('refuses a member that is a Group, or has no value', async () => {
        const nested = await writesNothing(server, () => scim.post('/Groups', {
          schemas: [GROUP_SCHEMA], displayName: 'Nested', members: [{ value: engineersId, type: 'Group' }],
        }));
        expect(expectScimError(nested, 400, 'invalidValue')).to.include('Group');
        const empty = await writesNothing(server, () => scim.patch(`/Groups/${engineersId}`, {
          schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ display: 'Alice' }] }],
        }));
        expectScimError(empty, 400, 'invalidValue');
      });
    });
  });
}
