import { expect } from 'chai';
import { BULK_MAX_OPERATIONS } from '../../../../scim/bulk/limits';
import { BULK_REQUEST_SCHEMA, parseBulkRequest, type BulkOperation } from '../../../../scim/bulk/request';
import { ScimError } from '../../../../scim/errors';

const USER = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@example.com' };

function request(operations: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [BULK_REQUEST_SCHEMA], Operations: operations, ...extra };
}

function refusal(body: unknown, maxOperations?: number): ScimError {
  try {
    parseBulkRequest(body, maxOperations);
  } catch (error) {
    expect(error).to.be.instanceOf(ScimError);
    return error as ScimError;
  }
  throw new Error('parseBulkRequest accepted the request');
}

function only(operation: unknown): BulkOperation {
  const [parsed] = parseBulkRequest(request([operation])).operations;
  expect(parsed).to.not.equal(undefined);
  return parsed as BulkOperation;
}

describe('parseBulkRequest', () => {
  describe('the request as a whole', () => {
    it('refuses a body without the BulkRequest schema with 400 invalidSyntax', () => {
      for (const body of [
        { Operations: [] },
        { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] },
        { schemas: BULK_REQUEST_SCHEMA, Operations: [] },
        [],
        'text',
      ]) {
        const error = refusal(body);
        expect(error.status, JSON.stringify(body)).to.equal(400);
        expect(error.scimType).to.equal('invalidSyntax');
      }
    });

    it('refuses a missing or non-array Operations with 400 invalidSyntax', () => {
      for (const operations of [undefined, {}, 'POST']) {
        const error = refusal({ schemas: [BULK_REQUEST_SCHEMA], Operations: operations });
        expect(error.status).to.equal(400);
        expect(error.scimType).to.equal('invalidSyntax');
        expect(error.detail).to.match(/Operations/);
      }
    });

    it('reads schemas, Operations and failOnErrors case-insensitively', () => {
      const parsed = parseBulkRequest({
        SCHEMAS: [BULK_REQUEST_SCHEMA.toUpperCase()], operations: [{ METHOD: 'post', BulkID: 'q', Path: '/users', DATA: USER }], FailOnErrors: 2,
      });
      expect(parsed.failOnErrors).to.equal(2);
      const [operation] = parsed.operations;
      expect(operation?.error).to.equal(undefined);
      expect(operation?.method).to.equal('POST');
      expect(operation?.target).to.deep.equal({ method: 'POST', resource: 'Users' });
      expect(operation?.declares).to.equal('q');
    });

    it('refuses more operations than maxOperations with 413, stating the limit', () => {
      const operations = Array.from({ length: BULK_MAX_OPERATIONS + 1 }, (_, index) => ({ method: 'DELETE', path: `/Users/${index}` }));
      const error = refusal(request(operations));
      expect(error.status).to.equal(413);
      expect(error.detail).to.include(String(BULK_MAX_OPERATIONS));
      expect(parseBulkRequest(request(operations.slice(1))).operations).to.have.length(BULK_MAX_OPERATIONS);
      expect(refusal(request(operations.slice(0, 3)), 2).status).to.equal(413);
    });

    it('accepts failOnErrors as a positive integer only', () => {
      expect(parseBulkRequest(request([])).failOnErrors).to.equal(undefined);
      expect(parseBulkRequest(request([], { failOnErrors: null })).failOnErrors).to.equal(undefined);
      expect(parseBulkRequest(request([], { failOnErrors: 1 })).failOnErrors).to.equal(1);
      for (const value of [0, -1, 1.5, '1', true]) {
        const error = refusal(request([], { failOnErrors: value }));
        expect(error.status, String(value)).to.equal(400);
        expect(error.scimType).to.equal('invalidValue');
      }
    });
  });

  describe('one operation', () => {
    it('parses each method and path', () => {
      expect(only({ method: 'POST', bulkId: 'a', path: '/Groups', data: {} }).target).to.deep.equal({ method: 'POST', resource: 'Groups' });
      expect(only({ method: 'put', path: '/Users/u1', data: USER, version: 'W/"2"' })).to.deep.include({
        method: 'PUT', version: 'W/"2"', target: { method: 'PUT', resource: 'Users', id: { kind: 'id', id: 'u1' } },
      });
      expect(only({ method: 'Patch', path: '/Groups/g1/', data: {} }).target)
        .to.deep.equal({ method: 'PATCH', resource: 'Groups', id: { kind: 'id', id: 'g1' } });
      const deletion = only({ method: 'DELETE', path: '/Users/a%20b', data: { ignored: 'bulkId:x' } });
      expect(deletion.target).to.deep.equal({ method: 'DELETE', resource: 'Users', id: { kind: 'id', id: 'a b' } });
      expect(deletion.references).to.deep.equal([]);
      expect(deletion).to.not.have.property('data');
    });

    it('collects the references of the path and the data, the path first', () => {
      const operation = only({
        method: 'PATCH', path: '/Groups/bulkId:group', data: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:u1' }, { value: 'bulkId:group' }] }],
        },
      });
      expect(operation.error).to.equal(undefined);
      expect(operation.target?.id).to.deep.equal({ kind: 'bulkId', bulkId: 'group' });
      expect(operation.references).to.deep.equal(['group', 'u1']);
      expect(operation.declares).to.equal(undefined);
    });

    const refusals: [string, unknown, RegExp][] = [
      ['not an object', 'POST /Users', /JSON object/],
      ['no method', { path: '/Users/1' }, /method/],
      ['an unknown method', { method: 'GET', path: '/Users/1' }, /method/],
      ['no path', { method: 'DELETE' }, /path/],
      ['an unknown resource type', { method: 'DELETE', path: '/Widgets/1' }, /path/],
      ['a path with a query', { method: 'DELETE', path: '/Users/1?x=y' }, /path/],
      ['a path with too many segments', { method: 'DELETE', path: '/Users/1/2' }, /path/],
      ['a POST to a resource', { method: 'POST', bulkId: 'a', path: '/Users/1', data: USER }, /without an id/],
      ['a PUT without an id', { method: 'PUT', path: '/Users', data: USER }, /\/Users\/\{id\}/],
      ['a POST without bulkId', { method: 'POST', path: '/Users', data: USER }, /bulkId/],
      ['an empty bulkId', { method: 'POST', bulkId: '', path: '/Users', data: USER }, /bulkId/],
      ['a numeric bulkId', { method: 'POST', bulkId: 7, path: '/Users', data: USER }, /bulkId/],
      ['a numeric version', { method: 'DELETE', path: '/Users/1', version: 3 }, /version/],
    ];
    for (const [name, operation, detail] of refusals) {
      it(`reports ${name} as that operation's 400 error`, () => {
        const parsed = only(operation);
        expect(parsed.error, name).to.be.instanceOf(ScimError);
        expect(parsed.error?.status).to.equal(400);
        expect(['invalidValue', 'invalidSyntax']).to.include(parsed.error?.scimType);
        expect(parsed.error?.detail).to.match(detail);
        expect(parsed.references).to.deep.equal([]);
        expect(parsed.declares).to.equal(undefined);
      });
    }

    it('reports a POST without bulkId with invalidValue and echoes its method', () => {
      const parsed = only({ method: 'post', path: '/Users', data: USER });
      expect(parsed.error?.scimType).to.equal('invalidValue');
      expect(parsed.method).to.equal('POST');
    });

    it('echoes an unknown method as sent', () => {
      expect(only({ method: 'get', path: '/Users/1' }).method).to.equal('get');
    });

    it('refuses a second POST with the same bulkId, keeping the first as the declaration', () => {
      const { operations } = parseBulkRequest(request([
        { method: 'POST', bulkId: 'same', path: '/Users', data: USER },
        { method: 'POST', bulkId: 'same', path: '/Groups', data: {} },
        { method: 'DELETE', bulkId: 'same', path: '/Users/1' },
      ]));
      expect(operations[0]?.declares).to.equal('same');
      expect(operations[1]?.error?.detail).to.match(/unique/);
      expect(operations[1]?.declares).to.equal(undefined);
      expect(operations[2]?.error).to.equal(undefined);
      expect(operations[2]?.declares).to.equal(undefined);
      expect(operations[2]?.bulkId).to.equal('same');
    });

    it('lets a valid POST declare a bulkId that an earlier invalid POST also carried', () => {
      const { operations } = parseBulkRequest(request([
        { method: 'POST', bulkId: 'x', path: '/Nope', data: USER },
        { method: 'POST', bulkId: 'x', path: '/Users', data: USER },
      ]));
      expect(operations[0]?.error).to.be.instanceOf(ScimError);
      expect(operations[1]?.declares).to.equal('x');
    });
  });
});
