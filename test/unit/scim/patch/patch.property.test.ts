/**
 * Property tests of the PATCH engine (RFC 7644 §3.5.2): random PatchOp messages against a fixed,
 * deep-frozen User. Whatever the message, parsePatchRequest + applyPatch either give back a
 * normalized User with the same id, or throw a 400 ScimError; never another exception, and the
 * input resource is never changed. Run counts are bounded to keep the file to a few seconds.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ScimError } from '../../../../scim/errors';
import { applyPatch, parsePatchRequest, PATCH_OP_URN } from '../../../../scim/patch';
import { scimToUserInput } from '../../../../scim/resources/user-mapper';
import { groupResourceSchema, type ScimObject, USER_SCHEMA_URN, userResourceSchema } from '../../../../scim/schema';
import { BJENSEN_ID, deepFreeze, ENTERPRISE, group, GROUP_ID, user } from './helpers';

const OP_NAMES = [
  'add', 'Add', 'ADD', 'aDd', 'replace', 'Replace', 'REPLACE', 'rePlace', 'remove', 'Remove', 'REMOVE', 'reMove',
];
const BAD_OP_NAMES: readonly unknown[] = [
  'delete', 'copy', 'move', 'test', '', ' add', 'add ', 'adds', 'remove\u0000', 'ａｄｄ', 42, null, true, ['add'], { op: 'add' },
];

const VALID_PATHS = [
  'userName', 'USERNAME', 'displayName', 'nickName', 'title', 'active', 'userType', 'locale', 'timezone',
  'preferredLanguage', 'profileUrl', 'externalId', 'password',
  'name', 'name.givenName', 'Name.FamilyName', 'name.formatted', 'name.honorificPrefix',
  'emails', 'emails.value', 'emails.primary', 'emails.type', 'emails[type eq "work"]', 'emails[type eq "work"].value',
  'emails[type eq "home"].primary', 'emails[value co "@"]', 'emails[value co "@"].display', 'emails[primary eq true]',
  'emails[type eq "other" and value eq "o@example.org"].value', 'emails[not (type eq "work")]',
  'emails[type eq "work" or type eq "home"].type', 'emails[type pr]', 'emails[type sw "w"].value',
  'phoneNumbers', 'phoneNumbers[type eq "mobile"].value', 'phoneNumbers.value', 'ims', 'photos', 'photos[type eq "photo"].value',
  'addresses', 'addresses[type eq "work"]', 'addresses[type eq "work"].locality', 'addresses[type eq "home"].streetAddress',
  'addresses[type eq "home" and primary eq true].country', 'addresses.postalCode',
  'entitlements', 'roles', 'roles[value eq "x"].primary', 'x509Certificates', 'x509Certificates.value',
  `${ENTERPRISE}:department`, `${ENTERPRISE}:employeeNumber`, `${ENTERPRISE}:manager`, `${ENTERPRISE}:manager.value`,
  `${ENTERPRISE}:manager.$ref`, `${ENTERPRISE.toUpperCase()}:Department`, ENTERPRISE,
  'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName',
  'urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value',
];
/** Paths that parse but target something PATCH must refuse (readOnly, unknown, misplaced filter). */
const REFUSED_PATHS = [
  'id', 'meta', 'meta.lastModified', 'meta.version', 'groups', 'groups.value', 'groups[value eq "x"]', 'schemas',
  `${ENTERPRISE}:manager.displayName`, 'unknown', 'name.unknown', 'members', 'emails[unknown eq "x"]',
  'emails[type eq "work"].unknown', 'name[givenName eq "x"]', 'name.givenName[value eq "x"]', 'userName[value pr]',
  'urn:example:unknown:1.0:x', `${ENTERPRISE}:unknown`, 'emails[display eq "x"].value', 'emails.value.x',
  'emails[type eq "work"][value pr]', 'name.givenName.x', '$ref', 'emails.$ref',
];
/** Paths that do not parse. */
const MALFORMED_PATHS: readonly unknown[] = [
  'emails[', 'emails[type eq]', 'emails[type eq "work"] x', '(emails)', '[]', '.', 'emails..value', 'a b', '"userName"',
  'emails[type eq "work"].value eq "x"', 'not (userName pr)', 'emails[type eq "\\x"]', 'userName\u0000', 'x'.repeat(5000),
  '', '   ', null, 5, true, ['userName'], { path: 'userName' },
];

const jsonScalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'True', 'false', 'work', 'home', 'bjensen@example.com', 'BJENSEN@EXAMPLE.COM', GROUP_ID,
    '2011-05-13T04:42:34Z', 'not a date', 'x'.repeat(300), '\u0000', '😀'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

const subAttributeKey = fc.constantFrom(
  'value', 'Value', 'type', 'primary', 'display', '$ref', 'givenName', 'familyName', 'formatted', 'locality',
  'country', 'displayName', 'department', 'unknown', 'id', 'meta', 'schemas', 'userName', 'name.givenName',
  `${ENTERPRISE}:department`, ENTERPRISE, 'emails', 'emails[type eq "work"].value', 'groups', 'active', 'password',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty',
);

/** JSON-shaped values that look like what a SCIM client sends, and some that do not. */
const scimValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { arbitrary: jsonScalar, weight: 4 },
    { arbitrary: tie('object'), weight: 3 },
    { arbitrary: fc.array(tie('object'), { maxLength: 3 }), weight: 2 },
    { arbitrary: fc.array(jsonScalar, { maxLength: 3 }), weight: 1 },
  ),
  object: fc.oneof(
    { arbitrary: fc.dictionary(subAttributeKey, fc.oneof(jsonScalar, tie('nested')), { maxKeys: 4 }), weight: 4 },
    {
      arbitrary: fc.record({
        value: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('bjensen@example.com', 'x@example.org')),
        type: fc.constantFrom('work', 'home', 'other', 'mobile'),
        primary: fc.boolean(),
      }, { requiredKeys: [] }),
      weight: 3,
    },
    { arbitrary: fc.constant({}), weight: 1 },
  ),
  nested: fc.oneof(
    jsonScalar,
    fc.dictionary(subAttributeKey, jsonScalar, { maxKeys: 3 }),
    fc.array(fc.dictionary(subAttributeKey, jsonScalar, { maxKeys: 3 }), { maxLength: 2 }),
  ),
})).value;

/** Values as they arrive over HTTP: through JSON.parse, so `__proto__` is an ordinary own key. */
const wireValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: scimValue, weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}',
      '[{"__proto__": {"value": "x"}, "value": "y"}]', '{"value": {"__proto__": null}}',
      '{"name": {"__proto__": {"givenName": "x"}}}', `{"${ENTERPRISE}": {"__proto__": {"department": "x"}}}`,
    ).map((text) => JSON.parse(text) as unknown),
    weight: 1,
  },
);

/* ---- plausible operations: a type-correct value for the path, so that many patches apply ---- */

const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('Babs', 'bjensen@example.com', 'BJENSEN@example.com', 'work', 'x@example.org', ' padded ', 'é😀'),
);
const flag = fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'true'));
const multiValue = (values: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> => fc.record({
  value: values,
  type: fc.constantFrom('work', 'home', 'other', 'mobile', 'Work'),
  primary: flag,
  display: text,
}, { requiredKeys: ['value'] });
const address = fc.record({
  type: fc.constantFrom('work', 'home', 'other'),
  streetAddress: text, locality: text, region: text, postalCode: text, country: fc.constantFrom('US', 'DE'),
  formatted: text, primary: flag,
}, { requiredKeys: [] });
const nameValue = fc.record({
  givenName: text, familyName: text, formatted: text, middleName: text, honorificPrefix: text,
}, { requiredKeys: [] });
const listOf = <T>(item: fc.Arbitrary<T>): fc.Arbitrary<T | T[]> =>
  fc.oneof(item, fc.array(item, { minLength: 1, maxLength: 3 }));

/** Path → values of the right type for it. */
const PLAUSIBLE: ReadonlyArray<readonly [string, fc.Arbitrary<unknown>]> = [
  ['userName', text], ['displayName', text], ['nickName', text], ['title', text], ['userType', text],
  ['locale', fc.constantFrom('en-US', 'de-DE')], ['timezone', fc.constantFrom('Europe/Berlin', 'UTC')],
  ['preferredLanguage', fc.constantFrom('en', 'de')], ['profileUrl', fc.constantFrom('https://example.com/babs')],
  ['externalId', text], ['password', text], ['active', flag],
  ['name', nameValue], ['name.givenName', text], ['name.familyName', text], ['Name.Formatted', text],
  ['emails', listOf(multiValue(fc.constantFrom('a@example.com', 'b@example.org', 'BJENSEN@example.com')))],
  ['emails.value', fc.constantFrom('a@example.com')], ['emails.primary', flag], ['emails.type', text],
  ['emails[type eq "work"]', multiValue(fc.constantFrom('w@example.com'))],
  ['emails[type eq "work"].value', fc.constantFrom('w@example.com', 'W@EXAMPLE.COM')],
  ['emails[type eq "home"].primary', flag], ['emails[value co "@"].type', text],
  ['emails[type eq "other" and value eq "o@example.org"].value', fc.constantFrom('o@example.org')],
  ['phoneNumbers', listOf(multiValue(fc.constantFrom('555-1234', '+1 555 4321')))],
  ['phoneNumbers[type eq "mobile"].value', fc.constantFrom('555-0000')],
  ['ims', listOf(multiValue(text))], ['photos', listOf(multiValue(fc.constantFrom('https://example.com/p.jpg')))],
  ['roles', listOf(multiValue(text))], ['entitlements', listOf(multiValue(text))],
  ['x509Certificates', listOf(multiValue(fc.constantFrom('MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw')))],
  ['addresses', listOf(address)], ['addresses[type eq "work"]', address],
  ['addresses[type eq "work"].locality', text], ['addresses[type eq "home"].streetAddress', text],
  [`${ENTERPRISE}:department`, text], [`${ENTERPRISE}:employeeNumber`, text], [`${ENTERPRISE}:costCenter`, text],
  [`${ENTERPRISE}:manager`, fc.record({ value: text })], [`${ENTERPRISE}:manager.value`, text],
  [ENTERPRISE, fc.record({ department: text, organization: text }, { requiredKeys: [] })],
];

const plausibleWithPath = fc.constantFrom(...PLAUSIBLE).chain(([path, value]) => fc.tuple(
  fc.constantFrom(...OP_NAMES), fc.constant(path), fc.option(value, { nil: undefined, freq: 10 }),
)).map(([op, path, value]) => (op.toLowerCase() === 'remove'
  ? { op, path }
  : { op, path, ...(value === undefined ? {} : { value }) }));

const plausibleWithoutPath = fc.tuple(
  fc.constantFrom('add', 'Replace', 'replace', 'ADD'),
  fc.record({
    displayName: text, nickName: fc.option(text), active: flag, 'name.givenName': text,
    'emails[type eq "work"].value': fc.constantFrom('w@example.com'), [ENTERPRISE]: fc.record({ department: text }),
    [`${ENTERPRISE}:division`]: text, id: fc.constantFrom(BJENSEN_ID), schemas: fc.constant([]),
  }, { requiredKeys: [] }),
).map(([op, value]) => ({ op, value }));

const plausibleOperation = fc.oneof({ arbitrary: plausibleWithPath, weight: 4 }, { arbitrary: plausibleWithoutPath, weight: 1 });

const keyCase = (name: string): fc.Arbitrary<string> => fc.constantFrom(name, name.toUpperCase(), name.charAt(0).toUpperCase() + name.slice(1));

/** One entry of Operations: op, path and value each present or not, with odd names and odd case. */
const operation: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.tuple(
      keyCase('op'), fc.oneof({ arbitrary: fc.constantFrom(...OP_NAMES), weight: 9 }, { arbitrary: fc.constantFrom(...BAD_OP_NAMES), weight: 1 }),
      keyCase('path'), fc.option(fc.oneof(
        { arbitrary: fc.constantFrom(...VALID_PATHS), weight: 6 },
        { arbitrary: fc.constantFrom(...REFUSED_PATHS), weight: 2 },
        { arbitrary: fc.constantFrom(...MALFORMED_PATHS), weight: 1 },
      ), { nil: undefined, freq: 4 }),
      keyCase('value'), fc.option(wireValue, { nil: undefined, freq: 8 }),
    ).map(([opKey, op, pathKey, path, valueKey, value]) => ({
      [opKey]: op,
      ...(path === undefined ? {} : { [pathKey]: path }),
      ...(value === undefined ? {} : { [valueKey]: value }),
    })),
    weight: 20,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

const patchBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.array(fc.oneof({ arbitrary: plausibleOperation, weight: 3 }, { arbitrary: operation, weight: 1 }),
      { minLength: 1, maxLength: 5 }).map((operations) => ({ schemas: [PATCH_OP_URN], Operations: operations })),
    weight: 20,
  },
  {
    arbitrary: fc.tuple(
      fc.constantFrom([PATCH_OP_URN], [PATCH_OP_URN.toUpperCase()], [], ['urn:other'], PATCH_OP_URN, null),
      fc.constantFrom('Operations', 'operations', 'OPERATIONS', 'ops'),
      fc.oneof(fc.array(operation, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    ).map(([schemas, key, operations]) => ({ schemas, [key]: operations })),
    weight: 2,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
);

/** The attribute names of Object.prototype, to notice prototype pollution. */
const prototypeKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
const cleanPrototype = prototypeKeys();

/**
 * Parses and applies `body` to `resource`; returns the result, or undefined after checking that the
 * failure is a 400 ScimError with a detail.
 */
function patchOrRefuse(resource: ScimObject, body: unknown, schema = userResourceSchema): ScimObject | undefined {
  try {
    return applyPatch(resource, parsePatchRequest(body), schema);
  } catch (error) {
    if (!(error instanceof ScimError)) {
      throw new Error(`${JSON.stringify(body)} threw ${String(error)} instead of a ScimError`, { cause: error });
    }
    expect(error.status, `${JSON.stringify(body)} → ${error.detail}`).to.equal(400);
    expect(error.detail.trim(), JSON.stringify(body)).to.not.equal('');
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Paths to null, [] and {} values (RFC 7643 §2.5: unassigned; a normalized resource has none). */
function unassignedValues(value: unknown, path = ''): string[] {
  if (value === null || (Array.isArray(value) && value.length === 0) || (isObject(value) && Object.keys(value).length === 0)) {
    return [path];
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => unassignedValues(item, `${path}[${index}]`));
  if (isObject(value)) return Object.entries(value).flatMap(([key, item]) => unassignedValues(item, path ? `${path}.${key}` : key));
  return [];
}

describe('parsePatchRequest + applyPatch (property-based)', function () {
  this.timeout(30_000);

  const frozenUser = deepFreeze(user());
  const frozenGroup = deepFreeze(group());

  afterEach(() => {
    expect(prototypeKeys(), 'Object.prototype was polluted').to.deep.equal(cleanPrototype);
  });

  it('gives a normalized User with the same id, or a 400 ScimError, and never changes the input', () => {
    let applied = 0;
    fc.assert(fc.property(patchBody, (body) => {
      const result = patchOrRefuse(frozenUser, body);
      expect(frozenUser, 'the input resource was changed').to.deep.equal(user());
      expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').to.equal(undefined);
      if (result === undefined) return;
      applied += 1;
      const context = JSON.stringify(body);
      expect(result, context).to.be.an('object');
      expect(result.id, context).to.equal(BJENSEN_ID);
      expect(result.meta, context).to.deep.equal(frozenUser.meta);
      expect(result.groups, `${context}: groups is readOnly`).to.deep.equal(frozenUser.groups);
      expect(typeof result.userName, context).to.equal('string');
      const schemas = result.schemas as unknown[];
      expect(schemas[0], context).to.equal(USER_SCHEMA_URN);
      expect(schemas.includes(ENTERPRISE), `${context}: schemas ${JSON.stringify(schemas)}`).to.equal(ENTERPRISE in result);
      expect(unassignedValues(result), `${context}: unassigned values left in ${JSON.stringify(result)}`).to.deep.equal([]);
      for (const [name, value] of Object.entries(result)) {
        if (!Array.isArray(value)) continue;
        const primaries = value.filter((element) => isObject(element) && element.primary === true);
        expect(primaries.length, `${context}: more than one primary ${name} in ${JSON.stringify(value)}`).to.be.at.most(1);
      }
      // Normalized: a valid PUT body as it stands, and what the endpoint hands to the identity layer.
      try {
        userResourceSchema.normalize(result, { mode: 'replace' });
        scimToUserInput(result);
      } catch (error) {
        throw new Error(`the result of ${context} is not a valid User: ${String(error)}\n${JSON.stringify(result)}`,
          { cause: error });
      }
      // Applying to the result works the same way: it is as good an input as the original.
      const again = patchOrRefuse(deepFreeze(structuredClone(result)), body);
      if (again !== undefined) expect(again.id, context).to.equal(BJENSEN_ID);
    }), { numRuns: 3000 });
    expect(applied, 'too few generated patches applied cleanly to say much').to.be.greaterThan(300);
  });

  it('is idempotent for replace operations without value filter that succeed', () => {
    // Without value filters: a filtered replace may leave nothing for the filter to match (noTarget).
    const unfiltered = PLAUSIBLE.filter(([path]) => !path.includes('['));
    const replaceBody = fc.array(fc.oneof(
      fc.constantFrom(...unfiltered).chain(([path, value]) => fc.tuple(fc.constant(path), value)),
      fc.tuple(fc.constantFrom(...VALID_PATHS.filter((path) => !path.includes('['))), wireValue),
    ), { minLength: 1, maxLength: 3 }).map((ops) => ({
      schemas: [PATCH_OP_URN],
      Operations: ops.map(([path, value]) => ({ op: 'replace', path, value })),
    }));
    fc.assert(fc.property(replaceBody, (body) => {
      const once = patchOrRefuse(frozenUser, body);
      if (once === undefined) return;
      const twice = patchOrRefuse(deepFreeze(structuredClone(once)), body);
      expect(twice, `${JSON.stringify(body)}: a second application was refused`).to.not.equal(undefined);
      expect(twice, JSON.stringify(body)).to.deep.equal(once);
    }), { numRuns: 1000 });
  });

  it('gives a Group with the same id, or a 400 ScimError, and never changes the input', () => {
    const groupOperation = fc.record({
      op: fc.constantFrom(...OP_NAMES),
      path: fc.option(fc.constantFrom('members', 'members[value eq "x"]', `members[value eq "${BJENSEN_ID}"]`,
        'members.value', 'members[type eq "User"].display', 'displayName', 'externalId', 'id', 'meta',
        'urn:scimd:params:scim:schemas:extension:role:2.0:Group:kind', 'unknown', 'members[', 'members.$ref'),
      { nil: undefined }),
      value: fc.option(wireValue, { nil: undefined }),
    }, { requiredKeys: ['op'] });
    fc.assert(fc.property(fc.array(groupOperation, { minLength: 1, maxLength: 4 }), (operations) => {
      const body = { schemas: [PATCH_OP_URN], Operations: operations };
      const result = patchOrRefuse(frozenGroup, body, groupResourceSchema);
      expect(frozenGroup, 'the input resource was changed').to.deep.equal(group());
      if (result === undefined) return;
      expect(result.id, JSON.stringify(body)).to.equal(GROUP_ID);
      expect(result.meta, JSON.stringify(body)).to.deep.equal(frozenGroup.meta);
    }), { numRuns: 1000 });
  });
});
