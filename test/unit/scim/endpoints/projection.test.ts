import { expect } from 'chai';
import type { Principal } from '../../../../src/auth/principal';
import type { RoleRecord } from '../../../../src/identity/role-model';
import type { UserRecord } from '../../../../src/identity/user-profile';
import type { ScimRequest, ScimServices } from '../../../../scim/endpoints/context';
import { getGroup, listGroups, patchGroup } from '../../../../scim/endpoints/groups';
import { searchAll } from '../../../../scim/endpoints/search';
import { listUsers, replaceUser } from '../../../../scim/endpoints/users';
import { ScimError } from '../../../../scim/errors';
import { groupResourceSchema, MAX_ATTRIBUTE_NAMES, projectorsBuilt, userResourceSchema } from '../../../../scim/schema';
import { roleStore, userStore } from './fake-stores';

const PRINCIPAL: Principal = {
  kind: 'service-account', id: 'account-1', manages: 'all', name: 'okta', tokenId: '0123456789abcdef', roles: ['Full API Access'], permissions: new Set(['*']),
};
const CREATED = '2024-05-01T12:00:00.000Z';

function request(query: Record<string, string>, body?: unknown, params: Record<string, string> = {}): ScimRequest & { bodyReads: () => number } {
  let reads = 0;
  return {
    params, query, principal: PRINCIPAL, requestId: 'req-1', baseUrl: 'http://scimd.test/scim/v2',
    readBody: () => {
      reads += 1;
      return Promise.resolve(body);
    },
    bodyReads: () => reads,
  };
}

const user = (i: number): UserRecord => ({
  id: `u${i}`, profile: { userName: `user${i}@example.com`, title: 'Guide' }, source: 'scim', version: 1,
  createdAt: CREATED, updatedAt: CREATED,
});

const role: RoleRecord = {
  id: 'g1', displayName: 'Tour Guides', externalId: null, description: null, kind: 'custom', assignableTo: 'person',
  risk: 'normal', permissions: [], source: 'scim', version: 3, createdAt: CREATED, updatedAt: CREATED,
};

/** `names` repeated `copies` times, every other time upper-cased: many duplicates, few distinct names. */
function withDuplicates(names: readonly string[], copies: number): string {
  return Array.from({ length: copies }, (_, i) => (i % 2 === 0 ? names : names.map((name) => name.toUpperCase()))).flat().join(',');
}

async function rejection(promise: Promise<unknown>): Promise<ScimError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).to.be.instanceOf(ScimError);
  return error as ScimError;
}

describe('endpoint projection, without a database', () => {
  const page = Array.from({ length: 1000 }, (_, i) => user(i));
  const listing: ScimServices = {
    users: userStore({ list: (query) => Promise.resolve({ total: page.length, items: page.slice(query.offset, query.offset + query.limit) }) }),
    roles: roleStore({
      rolesOfUsers: (ids) => Promise.resolve(new Map(ids.map((id) => [id, [{ id: 'g1', displayName: 'Tour Guides' }]]))),
    }),
  };

  it('projects a page of 1,000 users through one projector, duplicates counted once', async () => {
    const before = projectorsBuilt(userResourceSchema);
    const reply = await listUsers(listing, request({
      count: '1000', attributes: withDuplicates(['userName', 'groups.display', 'nope'], 2000),
    }));
    expect(projectorsBuilt(userResourceSchema) - before).to.equal(1);
    const resources = (reply.body as { Resources: unknown[] }).Resources;
    expect(resources).to.have.length(1000);
    expect(resources[999]).to.deep.equal({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'u999', userName: 'user999@example.com',
      groups: [{ display: 'Tour Guides' }],
    });
  });

  it('refuses an oversized list before asking the store', async () => {
    const names = Array.from({ length: MAX_ATTRIBUTE_NAMES + 1 }, (_, i) => `x${i}`).join(',');
    const error = await rejection(listUsers({ users: userStore(), roles: roleStore() }, request({ excludedAttributes: names })));
    expect([error.status, error.scimType]).to.deep.equal([400, 'invalidValue']);
    expect(error.detail).to.include(String(MAX_ATTRIBUTE_NAMES));
  });

  it('refuses an oversized list on a write before reading the body or writing', async () => {
    const names = Array.from({ length: MAX_ATTRIBUTE_NAMES + 1 }, (_, i) => `x${i}`).join(',');
    const put = request({ attributes: names }, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'a@example.com' },
      { id: 'u1' });
    const error = await rejection(replaceUser({ users: userStore(), roles: roleStore() }, put));
    expect(error.scimType).to.equal('invalidValue');
    expect(put.bodyReads()).to.equal(0);
    const patch = request({ attributes: names }, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] },
      { id: 'g1' });
    expect((await rejection(patchGroup({ users: userStore(), roles: roleStore() }, patch))).scimType).to.equal('invalidValue');
    expect(patch.bodyReads()).to.equal(0);
  });

  it('loads no members when the projection leaves them out', async () => {
    const services: ScimServices = {
      users: userStore(),
      roles: roleStore({ get: () => Promise.resolve(role), list: () => Promise.resolve({ total: 1, items: [role] }) }),
    };
    const single = await getGroup(services, request({ attributes: 'DISPLAYNAME,displayName' }, undefined, { id: 'g1' }));
    expect(single.body).to.deep.equal({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'Tour Guides' });
    const list = await listGroups(services, request({ excludedAttributes: 'members,Members' }));
    expect((list.body as { Resources: { members?: unknown }[] }).Resources[0]).to.not.have.property('members');
  });

  it('builds one projector per resource type of a root search', async () => {
    const services: ScimServices = {
      users: listing.users,
      roles: roleStore({
        rolesOfUsers: listing.roles.rolesOfUsers,
        list: (query) => Promise.resolve({ total: 1, items: [role].slice(query.offset, query.offset + query.limit) }),
        membersOf: (ids) => Promise.resolve(new Map(ids.map((id) => [id, []]))),
      }),
    };
    const users = projectorsBuilt(userResourceSchema);
    const groups = projectorsBuilt(groupResourceSchema);
    const reply = await searchAll(services, request({}, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], startIndex: 2, count: 1000,
      attributes: withDuplicates(['id', 'displayName', 'userName'], 1000).split(','),
    }));
    const body = reply.body as { totalResults: number; Resources: Record<string, unknown>[] };
    expect(body.totalResults).to.equal(1001);
    expect(body.Resources).to.have.length(1000);
    expect(body.Resources[999]).to.deep.equal({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'Tour Guides',
    });
    expect([projectorsBuilt(userResourceSchema) - users, projectorsBuilt(groupResourceSchema) - groups]).to.deep.equal([1, 1]);
  });
});
