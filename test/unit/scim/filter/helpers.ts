import { expect } from 'chai';
import { ScimError, type ScimType } from '../../../../scim/errors';
import type { AttributePath, CompareOperator, Filter, FilterValue } from '../../../../scim/filter/ast';

/** Runs `fn`, asserts it throws a 400 ScimError of `scimType` whose detail names a position; returns it. */
export function expectScimError(fn: () => unknown, scimType: ScimType): ScimError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected an error to be thrown').to.be.instanceOf(ScimError);
  const error = thrown as ScimError;
  expect(error.status).to.equal(400);
  expect(error.scimType).to.equal(scimType);
  expect(error.detail).to.match(/position \d+/);
  return error;
}

export function path(attribute: string, subAttribute?: string, uri?: string): AttributePath {
  return {
    ...(uri !== undefined ? { uri } : {}),
    attribute,
    ...(subAttribute !== undefined ? { subAttribute } : {}),
  };
}

export const compare = (p: AttributePath | string, op: CompareOperator, value: FilterValue): Filter => ({
  kind: 'compare',
  path: typeof p === 'string' ? path(p) : p,
  op,
  value,
});
export const present = (p: AttributePath | string): Filter => ({ kind: 'present', path: typeof p === 'string' ? path(p) : p });
export const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right });
export const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right });
export const not = (filter: Filter): Filter => ({ kind: 'not', filter });
export const valuePath = (p: AttributePath | string, filter: Filter): Filter => ({
  kind: 'valuePath',
  path: typeof p === 'string' ? path(p) : p,
  filter,
});

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
