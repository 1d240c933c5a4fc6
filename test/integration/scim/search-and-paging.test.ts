import { expect } from 'chai';
import { testDatabases } from '../../support/databases';
import { GROUP_SCHEMA, PATCH_SCHEMA, TestServer, USER_SCHEMA, type ScimClient } from '../../support/test-server';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const USERS = 25;

interface Listed {
  readonly id: string;
  readonly userName: string;
  readonly meta: { readonly created: string };
}

/** The default order of a list (src/identity/users.ts): meta.created, then id, both as the binary collation compares them. */
function byCreation(a: Listed, b: Listed): number {
  if (a.meta.created !== b.meta.created) return a.meta.created < b.meta.created ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

for (const database of testDatabases()) {
  describe(`Search and paging on ${database.name}`, () => {
    let server: TestServer;
    let scim: ScimClient;
    let reader: ScimClient;

    before(async () => {
      server = await TestServer.start(await database.fresh());
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      reader = server.client(await server.token('reader', ['Read-only API Access']));
      for (let i = 0; i < USERS; i++) {
        const reply = await scim.post('/Users', {
          schemas: [USER_SCHEMA], userName: `user${String(i).padStart(2, '0')}@example.com`, title: i % 2 === 0 ? 'even' : 'odd',
        });
        expect(reply.status).to.equal(201);
      }
      expect((await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Even people' })).status).to.equal(201);
    });

    after(async () => {
      await server.stop();
    });

    describe('the e-mail index after a PATCH', () => {
      it('stays as it was when a PATCH leaves the e-mails alone, and follows them when it changes them', async () => {
        const byEmail = async (email: string): Promise<number> => {
          const reply = await scim.get(`/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "${email}"`)}`);
          expect(reply.status, reply.text).to.equal(200);
          return reply.body.totalResults as number;
        };
        const created = await scim.post('/Users', {
          schemas: [USER_SCHEMA], userName: 'indexed@example.com', emails: [{ type: 'work', value: 'old@example.com' }],
        });
        expect(created.status, created.text).to.equal(201);
        const path = `/Users/${created.body.id as string}`;
        try {
          const retitled = await scim.patch(path, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'title', value: 'New title' }] });
          expect(retitled.status, retitled.text).to.equal(200);
          expect(await byEmail('old@example.com')).to.equal(1);
          const moved = await scim.patch(path, {
            schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }],
          });
          expect(moved.status, moved.text).to.equal(200);
          expect(await byEmail('old@example.com')).to.equal(0);
          expect(await byEmail('new@example.com')).to.equal(1);
        } finally {
          expect((await scim.delete(path)).status).to.equal(204);
        }
      });
    });

    describe('first pages in the default order', () => {
      it('list users in creation order with their groups, as GET /Users/{id} shows them, and count only a full page', async () => {
        const all = await scim.get(`/Users?count=1000&filter=${encodeURIComponent('userName sw "user"')}`);
        expect(all.status, all.text).to.equal(200);
        const listedUsers = all.body.Resources as Listed[];
        expect(listedUsers.map((user) => user.userName).sort())
          .to.deep.equal(Array.from({ length: USERS }, (_, i) => `user${String(i).padStart(2, '0')}@example.com`));
        // Creation order, and by id among users created in the same millisecond (sequential POSTs can be).
        const inCreationOrder = [...listedUsers].sort(byCreation);
        expect(listedUsers.map((user) => user.userName)).to.deep.equal(inCreationOrder.map((user) => user.userName));
        expect(all.body.totalResults).to.equal(USERS);

        const descending = await scim.get(`/Users?count=3&sortOrder=descending&filter=${encodeURIComponent('userName sw "user"')}`);
        expect((descending.body.Resources as { userName: string }[]).map((user) => user.userName))
          .to.deep.equal(inCreationOrder.reverse().slice(0, 3).map((user) => user.userName));
        expect(descending.body.totalResults, 'a full first page counts the rest').to.equal(USERS);

        const user = (all.body.Resources as { id: string }[])[3] as { id: string };
        const groupIds: string[] = [];
        try {
          // Created in reverse name order, so that creation order and name order differ.
          for (const displayName of ['Zeta readers', 'alpha writers', 'Mu testers']) {
            const group = await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName, members: [{ value: user.id }] });
            expect(group.status, group.text).to.equal(201);
            groupIds.push(group.body.id as string);
          }
          const found = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "user03@example.com"')}`);
          expect(found.status, found.text).to.equal(200);
          expect(found.body.totalResults).to.equal(1);
          const listed = (found.body.Resources as { groups: { display: string }[] }[])[0];
          expect(listed?.groups.map((group) => group.display)).to.deep.equal(['alpha writers', 'Mu testers', 'Zeta readers']);
          const single = await scim.get(`/Users/${user.id}`);
          expect(single.body.groups).to.deep.equal(listed?.groups);

          // The look-ups one user at most can match: in any case of the name, by id, none, past the one.
          const folded = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "USER03@Example.COM"')}`);
          expect(folded.body.totalResults).to.equal(1);
          expect(folded.body.Resources).to.deep.equal(found.body.Resources);
          const byId = await scim.get(`/Users?filter=${encodeURIComponent(`id eq "${user.id}"`)}`);
          expect(byId.body.Resources).to.deep.equal(found.body.Resources);
          const none = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
          expect(none.status, none.text).to.equal(200);
          expect(none.body).to.deep.include({ totalResults: 0, Resources: [] });
          const past = await scim.get(`/Users?startIndex=2&filter=${encodeURIComponent('userName eq "user03@example.com"')}`);
          expect(past.body).to.deep.include({ totalResults: 1, Resources: [], startIndex: 2 });
        } finally {
          for (const id of groupIds) expect((await scim.delete(`/Groups/${id}`)).status).to.equal(204);
        }
      });
    });

    describe('cursor paging (RFC 9865)', () => {
      it('walks every user exactly once, in order, and stops without a nextCursor', async () => {
        const seen: string[] = [];
        let cursor = '';
        for (let page = 0; page < 10; page++) {
          const reply = await scim.get(`/Users?count=7&sortBy=userName&attributes=userName&cursor=${encodeURIComponent(cursor)}`);
          expect(reply.status).to.equal(200);
          expect(reply.body.totalResults).to.equal(USERS);
          expect(reply.body).to.not.have.property('startIndex');
          seen.push(...(reply.body.Resources as { userName: string }[]).map((r) => r.userName));
          if (reply.body.nextCursor === undefined) break;
          cursor = reply.body.nextCursor as string;
        }
        const expected = Array.from({ length: USERS }, (_, i) => `user${String(i).padStart(2, '0')}@example.com`);
        expect(seen).to.deep.equal(expected);
      });

      it('answers on later pages the total the walk\'s first page counted, instead of counting again (RFC 9865 §2.2)', async () => {
        const first = await scim.get('/Users?count=10&sortBy=userName&cursor=');
        expect(first.body.totalResults).to.equal(USERS);
        const late = await scim.post('/Users', { schemas: [USER_SCHEMA], userName: 'zz-late@example.com' });
        expect(late.status, late.text).to.equal(201);
        try {
          const second = await scim.get(`/Users?count=10&sortBy=userName&cursor=${first.body.nextCursor as string}`);
          expect(second.body.totalResults, 'the walk\'s total').to.equal(USERS);
          const fresh = await scim.get('/Users?count=10&sortBy=userName&cursor=');
          expect(fresh.body.totalResults, 'a new walk counts again').to.equal(USERS + 1);
        } finally {
          expect((await scim.delete(`/Users/${late.body.id as string}`)).status).to.equal(204);
        }
      });

      it('pages a filtered, descending list', async () => {
        const filter = encodeURIComponent('title eq "even"');
        const first = await scim.get(`/Users?filter=${filter}&sortBy=userName&sortOrder=descending&count=5&cursor=`);
        expect(first.body.totalResults).to.equal(13);
        const second = await scim.get(`/Users?filter=${filter}&sortBy=userName&sortOrder=descending&count=5&cursor=${first.body.nextCursor as string}`);
        const names = [...first.body.Resources as { userName: string }[], ...second.body.Resources as { userName: string }[]].map((r) => r.userName);
        expect(names[0]).to.equal('user24@example.com');
        expect(names[9]).to.equal('user06@example.com');
        expect(new Set(names).size).to.equal(10);
      });

      it('refuses a cursor reused for another query, a forged cursor, and mixing with startIndex', async () => {
        const first = await scim.get('/Users?count=5&cursor=');
        const cursor = first.body.nextCursor as string;
        const other = await scim.get(`/Users?count=5&sortBy=userName&cursor=${cursor}`);
        expect(other.status).to.equal(400);
        expect(other.body.scimType).to.equal('invalidCursor');
        const forged = await scim.get('/Users?cursor=not-a-cursor');
        expect(forged.status).to.equal(400);
        expect(forged.body.scimType).to.equal('invalidCursor');
        const mixed = await scim.get(`/Users?cursor=${cursor}&startIndex=3`);
        expect(mixed.status).to.equal(400);
        expect(mixed.body.scimType).to.equal('invalidValue');
        const unsortable = await scim.get('/Users?cursor=&sortBy=title');
        expect(unsortable.status).to.equal(400);
        expect(unsortable.body.scimType).to.equal('invalidValue');
      });

      it('is advertised in ServiceProviderConfig', async () => {
        const config = await scim.get('/ServiceProviderConfig');
        expect(config.body.pagination).to.deep.include({ cursor: true, index: true, defaultPaginationMethod: 'index', maxPageSize: 1000 });
      });
    });

    describe('POST /.search (RFC 7644 §3.4.3)', () => {
      it('searches Users with the query in the body, for a read-only token too', async () => {
        const reply = await reader.post('/Users/.search', {
          schemas: [SEARCH], filter: 'userName sw "user1"', attributes: ['userName'], sortBy: 'userName', startIndex: 2, count: 3,
        });
        expect(reply.status).to.equal(200);
        expect(reply.body.totalResults).to.equal(10);
        expect(reply.body.startIndex).to.equal(2);
        expect((reply.body.Resources as { userName: string }[]).map((r) => r.userName))
          .to.deep.equal(['user11@example.com', 'user12@example.com', 'user13@example.com']);
        expect(reply.body.Resources as Record<string, unknown>[]).to.satisfy((items: Record<string, unknown>[]) => items.every((r) => !('title' in r)));
      });

      it('searches Groups', async () => {
        const reply = await scim.post('/Groups/.search', { schemas: [SEARCH], filter: 'displayName eq "even people"' });
        expect(reply.status).to.equal(200);
        expect((reply.body.Resources as { displayName: string }[]).map((r) => r.displayName)).to.deep.equal(['Even people']);
      });

      it('searches every resource type from the root, paging across them', async () => {
        const all = await scim.post('/.search', { schemas: [SEARCH], filter: 'meta.created pr', count: 1000 });
        expect(all.status).to.equal(200);
        const resourceTypes = (all.body.Resources as { meta: { resourceType: string } }[]).map((r) => r.meta.resourceType);
        expect(resourceTypes.filter((t) => t === 'User')).to.have.length(USERS);
        expect(resourceTypes.filter((t) => t === 'Group').length).to.be.greaterThan(12);
        expect(all.body.totalResults).to.equal(resourceTypes.length);
        const straddling = await scim.post('/.search', { schemas: [SEARCH], startIndex: USERS, count: 2 });
        expect((straddling.body.Resources as { meta: { resourceType: string } }[]).map((r) => r.meta.resourceType))
          .to.deep.equal(['User', 'Group']);
        const usersOnly = await scim.post('/.search', { schemas: [SEARCH], filter: 'title eq "odd"' });
        expect(usersOnly.body.totalResults).to.equal(12);
      });

      it('answers malformed search requests with SCIM errors and the right scimType', async () => {
        const cases: [unknown, number, string][] = [
          [{ filter: 'userName pr' }, 400, 'invalidSyntax'],
          [{ schemas: [SEARCH], count: 'ten' }, 400, 'invalidValue'],
          [{ schemas: [SEARCH], attributes: 'userName' }, 400, 'invalidValue'],
          [{ schemas: [SEARCH], filter: 'userName eq' }, 400, 'invalidFilter'],
          [{ schemas: [SEARCH], bogus: true }, 400, 'invalidSyntax'],
        ];
        for (const [body, status, scimType] of cases) {
          const reply = await scim.post('/Users/.search', body);
          expect(reply.status, JSON.stringify(body)).to.equal(status);
          expect(reply.body.scimType, JSON.stringify(body)).to.equal(scimType);
        }
        const nowhere = await scim.post('/.search', { schemas: [SEARCH], filter: 'nonsense eq "x"' });
        expect(nowhere.status).to.equal(400);
        expect(nowhere.body.scimType).to.equal('invalidFilter');
      });

      it('writes nothing', async () => {
        const before = await server.count('audit_events');
        await reader.post('/.search', { schemas: [SEARCH] });
        expect(await server.count('audit_events')).to.equal(before);
      });
    });

    // Last: it adds 1,100 users the other tests do not expect.
    describe('deep index pages', () => {
      it('serve the same users, in the same order, as a walk from the start', async () => {
        const ds = server.running.dataSource;
        const now = Date.now();
        for (let batch = 0; batch < 11; batch++) {
          const rows = Array.from({ length: 100 }, (_, i) => {
            const n = batch * 100 + i;
            const name = `deep${String(n).padStart(4, '0')}@example.com`;
            const at = new Date(now + n).toISOString();
            return [`00000000-0000-4000-a000-${String(n).padStart(12, '0')}`, name, name, JSON.stringify({ userName: name }), at, at];
          });
          await ds.query(`INSERT INTO users (id, user_name, user_name_key, profile, created_at, updated_at) VALUES ${
            rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, rows.flat());
        }
        const names = async (query: string) => ((await scim.get(`/Users?${query}&attributes=userName`)).body.Resources as { userName: string }[])
          .map((r) => r.userName);
        const deep = await names('startIndex=1051&count=10&sortBy=userName');
        const shallow = (await names('startIndex=1001&count=100&sortBy=userName')).slice(50, 60);
        expect(deep).to.have.length(10);
        expect(deep).to.deep.equal(shallow);
        const byCreation = await names('startIndex=1101&count=5');
        expect(byCreation).to.deep.equal(['deep1075@example.com', 'deep1076@example.com', 'deep1077@example.com',
          'deep1078@example.com', 'deep1079@example.com']);
        const total = (await scim.get('/Users?startIndex=1101&count=5')).body.totalResults;
        expect(total).to.equal(USERS + 1100);
      });
    });
  });
}
