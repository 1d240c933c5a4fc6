import { expect } from 'chai';
import { ScimError, type ScimType } from '../../../../scim/errors';

/** Runs `action`, expects it to throw a 400 ScimError of `scimType`, and returns the error's detail. */
export function expectScimError(action: () => unknown, scimType: ScimType): string {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a ScimError to be thrown').to.be.instanceOf(ScimError);
  const error = caught as ScimError;
  expect(error.status).to.equal(400);
  expect(error.scimType).to.equal(scimType);
  return error.detail;
}

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ROLE = 'urn:scimd:params:scim:schemas:extension:role:2.0:Group';
