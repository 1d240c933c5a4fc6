import { expect } from 'chai';
import type { Principal } from '../../../../src/auth/principal';
import { bulk } from '../../../../scim/endpoints/bulk';
import type { ScimRequest, ScimServices } from '../../../../scim/endpoints/context';
import { roleStore, userStore } from '../endpoints/fake-stores';

const PRINCIPAL: Principal = {
  kind: 'service-account', id: 'account-1', manages: 'all', name: 'okta', tokenId: '0123456789abcdef', roles: ['Full API Access'], permissions: new Set(['*']),
};

function request(body: unknown): ScimRequest {
  return {
    params: {}, query: {}, readBody: () => Promise.resolve(body), principal: PRINCIPAL,
    requestId: 'req-42', baseUrl: 'http://scimd.test/scim/v2',
  };
}

describe('bulk endpoint, without a database', () => {
  it('answers an unexpected failure of one operation with 500 and a generic detail, and runs the next', async () => {
    const calls: string[] = [];
    const services: ScimServices = {
      users: userStore({
        create: () => Promise.reject(new Error('connect ECONNREFUSED mysql://root:s3cret@db:3306')),
        delete: (_context, id) => {
          calls.push(`delete ${id}`);
          return Promise.resolve();
        },
      }),
      roles: roleStore(),
    };
    const reply = await bulk(services, request({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@example.com' } },
        { method: 'DELETE', path: '/Users/u-1' },
      ],
    }));
    expect(reply.status).to.equal(200);
    const [failed, deleted] = (reply.body as { Operations: Record<string, unknown>[] }).Operations;
    expect(failed).to.deep.equal({
      method: 'POST', bulkId: 'a', status: '500',
      response: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500', detail: 'Internal error; quote request id req-42' },
    });
    expect(JSON.stringify(reply.body)).to.not.include('s3cret');
    expect(deleted).to.deep.equal({ method: 'DELETE', location: 'http://scimd.test/scim/v2/Users/u-1', status: '204' });
    expect(calls).to.deep.equal(['delete u-1']);
  });

  it('passes the operation version as If-Match and the request id to the inner endpoint', async () => {
    const seen: unknown[] = [];
    const services: ScimServices = {
      users: userStore({
        delete: (context, id, options) => {
          seen.push([context.requestId, id, options]);
          return Promise.resolve();
        },
      }),
      roles: roleStore(),
    };
    const reply = await bulk(services, request({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [{ method: 'DELETE', path: '/Users/u-2', version: 'W/"5"' }],
    }));
    expect((reply.body as { Operations: unknown[] }).Operations).to.deep.equal([
      { method: 'DELETE', location: 'http://scimd.test/scim/v2/Users/u-2', status: '204' },
    ]);
    expect(seen).to.deep.equal([['req-42', 'u-2', { expectedVersion: 5 }]]);
  });
});
