/** Resources and assertions shared by the PATCH engine tests. */
import { expect } from 'chai';
import { ScimError, type ScimType } from '../../../../scim/errors';
import { applyPatch, parsePatchRequest, PATCH_OP_URN } from '../../../../scim/patch';
import {
  ENTERPRISE_USER_SCHEMA_URN, GROUP_SCHEMA_URN, groupResourceSchema, ROLE_EXTENSION_URN, type ScimObject,
  USER_SCHEMA_URN, userResourceSchema,
} from '../../../../scim/schema';

export const ENTERPRISE = ENTERPRISE_USER_SCHEMA_URN;
export const ROLE = ROLE_EXTENSION_URN;

export const BJENSEN_ID = '2819c223-7f76-453a-919d-413861904646';
export const MANDY_ID = '902c246b-6245-4190-8e05-00816be7344a';
export const JOHN_ID = '26118915-6090-4610-87e4-49d8ca9f808d';
export const GROUP_ID = 'e9e30dba-f08f-4109-8486-d5c6a331660a';

/** The User of RFC 7643 §8.2, trimmed, with the enterprise extension (§8.3). A fresh copy each call. */
export function user(): ScimObject {
  return {
    schemas: [USER_SCHEMA_URN, ENTERPRISE_USER_SCHEMA_URN],
    id: BJENSEN_ID,
    externalId: 'bjensen',
    userName: 'bjensen@example.com',
    name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
    displayName: 'Babs Jensen',
    title: 'Tour Guide',
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    phoneNumbers: [{ value: '555-555-5555', type: 'work' }],
    addresses: [
      { type: 'home', streetAddress: '456 Hollywood Blvd', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US' },
    ],
    groups: [{ value: GROUP_ID, display: 'Tour Guides', type: 'direct' }],
    [ENTERPRISE_USER_SCHEMA_URN]: {
      employeeNumber: '701984',
      department: 'Tour Operations',
      manager: { value: JOHN_ID, displayName: 'John Smith' },
    },
    meta: {
      resourceType: 'User',
      created: '2010-01-23T04:56:22Z',
      lastModified: '2011-05-13T04:42:34Z',
      version: 'W/"3694e05e9dff591"',
      location: `https://example.com/v2/Users/${BJENSEN_ID}`,
    },
  };
}

/** A Group (a role) with two members and scimd's readOnly role extension. A fresh copy each call. */
export function group(): ScimObject {
  return {
    schemas: [GROUP_SCHEMA_URN, ROLE_EXTENSION_URN],
    id: GROUP_ID,
    displayName: 'Tour Guides',
    members: [
      { value: BJENSEN_ID, display: 'Babs Jensen', type: 'User' },
      { value: MANDY_ID, display: 'Mandy Pepperidge', type: 'User' },
    ],
    [ROLE_EXTENSION_URN]: { kind: 'custom', assignableTo: 'person', risk: 'normal', permissions: ['tours.read'] },
    meta: {
      resourceType: 'Group',
      created: '2010-01-23T04:56:22Z',
      lastModified: '2011-05-13T04:42:34Z',
      version: 'W/"3694e05e9dff592"',
      location: `https://example.com/v2/Groups/${GROUP_ID}`,
    },
  };
}

export type Kind = 'user' | 'group';

export function resourceOf(kind: Kind): ScimObject {
  return kind === 'user' ? user() : group();
}

export function schemaOf(kind: Kind): typeof userResourceSchema {
  return kind === 'user' ? userResourceSchema : groupResourceSchema;
}

/** A PatchOp message around `operations`. */
export function body(...operations: unknown[]): ScimObject {
  return { schemas: [PATCH_OP_URN], Operations: operations };
}

/** Parses a PatchOp message with the given operations and applies it. */
export function patch(kind: Kind, operations: unknown[], resource: ScimObject = resourceOf(kind)): ScimObject {
  return applyPatch(resource, parsePatchRequest(body(...operations)), schemaOf(kind));
}

/** Runs `action` and checks it throws a ScimError with this status, scimType and detail fragments. */
export function expectScimError(action: () => unknown, status: number, scimType: ScimType, ...details: string[]): ScimError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a ScimError to be thrown').to.be.instanceOf(ScimError);
  const error = caught as ScimError;
  expect({ status: error.status, scimType: error.scimType }, error.detail).to.deep.equal({ status, scimType });
  for (const detail of details) expect(error.detail).to.include(detail);
  return error;
}

/** Freezes a value and everything in it, so that any mutation throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/**
 * The resource `base` with `changes` applied at the top level: a key set to undefined is expected
 * to be absent, every key not named is expected unchanged.
 */
export function changed(base: ScimObject, changes: ScimObject): ScimObject {
  const expected: ScimObject = { ...base, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete expected[key];
  return expected;
}
