import { expect } from 'chai';
import { groupResourceSchema, userResourceSchema, type ScimObject } from '../../../../scim/schema';
import { CORE_GROUP, CORE_USER, ENTERPRISE, ROLE, expectScimError } from './helpers';

const create = { mode: 'create' } as const;
const normalizeUser = (body: unknown): ScimObject => userResourceSchema.normalize(body, create);
const user = (attributes: ScimObject): ScimObject => ({ schemas: [CORE_USER], userName: 'bjensen', ...attributes });

describe('ResourceSchema.normalize', () => {
  describe('rewriting names to their canonical case', () => {
    it('rewrites attribute, sub-attribute and extension names, nested in arrays too', () => {
      const result = normalizeUser({
        Schemas: [CORE_USER.toLowerCase(), ENTERPRISE.toUpperCase()],
        USERNAME: 'bjensen',
        NAME: { FamilyName: 'Jensen', givenname: 'Barbara' },
        Emails: [{ VALUE: 'bjensen@example.com', Type: 'work', PRIMARY: true }],
        [ENTERPRISE.toLowerCase()]: { Department: 'Tour Operations', MANAGER: { Value: '26118915' } },
      });
      expect(result).to.deep.equal({
        schemas: [CORE_USER, ENTERPRISE],
        userName: 'bjensen',
        name: { familyName: 'Jensen', givenName: 'Barbara' },
        emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
        [ENTERPRISE]: { department: 'Tour Operations', manager: { value: '26118915' } },
      });
    });

    it('adds an extension URN that has values but is missing from schemas', () => {
      const result = normalizeUser(user({ [ENTERPRISE]: { employeeNumber: '701984' } }));
      expect(result['schemas']).to.deep.equal([CORE_USER, ENTERPRISE]);
    });

    it('leaves out an extension listed in schemas but without values', () => {
      const result = normalizeUser({ ...user({}), schemas: [CORE_USER, ENTERPRISE] });
      expect(result['schemas']).to.deep.equal([CORE_USER]);
    });

    it('keeps writeOnly attributes such as password', () => {
      expect(normalizeUser(user({ PASSWORD: 't1meMa$heen' }))['password']).to.equal('t1meMa$heen');
    });

    it('normalizes a Group with members', () => {
      const result = groupResourceSchema.normalize({
        schemas: [CORE_GROUP],
        DisplayName: 'Tour Guides',
        members: [{ Value: '2819c223', TYPE: 'User', $REF: 'https://example.com/v2/Users/2819c223' }],
      }, { mode: 'replace' });
      expect(result).to.deep.equal({
        schemas: [CORE_GROUP],
        displayName: 'Tour Guides',
        members: [{ value: '2819c223', type: 'User', $ref: 'https://example.com/v2/Users/2819c223' }],
      });
    });
  });

  describe('dropping values the client may not set or has unassigned', () => {
    const cases: { what: string; body: ScimObject; expected: ScimObject }[] = [
      { what: 'id', body: user({ id: 'abc' }), expected: user({}) },
      { what: 'meta', body: user({ meta: { resourceType: 'User', created: 'bogus' } }), expected: user({}) },
      { what: 'groups', body: user({ groups: [{ value: 'g1' }] }), expected: user({}) },
      {
        what: 'a readOnly sub-attribute (manager.displayName)',
        body: user({ [ENTERPRISE]: { manager: { value: 'm1', displayName: 'Boss' } } }),
        expected: { ...user({ [ENTERPRISE]: { manager: { value: 'm1' } } }), schemas: [CORE_USER, ENTERPRISE] },
      },
      { what: 'null values', body: user({ displayName: null, name: { givenName: null } }), expected: user({}) },
      { what: 'empty arrays', body: user({ emails: [] }), expected: user({}) },
      { what: 'a null extension', body: user({ [ENTERPRISE]: null }), expected: user({}) },
      { what: 'an extension left empty', body: user({ [ENTERPRISE]: { department: null } }), expected: user({}) },
    ];
    for (const { what, body, expected } of cases) {
      it(`drops ${what}`, () => {
        expect(normalizeUser(body)).to.deep.equal(expected);
      });
    }

    it('drops the readOnly role extension and members.display of a Group', () => {
      const result = groupResourceSchema.normalize({
        schemas: [CORE_GROUP, ROLE],
        displayName: 'Admins',
        members: [{ value: 'u1', display: 'Someone' }],
        [ROLE]: { kind: 'custom', permissions: ['x'] },
      }, create);
      expect(result).to.deep.equal({ schemas: [CORE_GROUP], displayName: 'Admins', members: [{ value: 'u1' }] });
    });
  });

  describe('coercing booleans sent as strings', () => {
    for (const [sent, expected] of [['False', false], ['True', true], ['false', false], ['true', true]] as const) {
      it(`turns "${sent}" into ${expected}`, () => {
        expect(normalizeUser(user({ active: sent }))['active']).to.equal(expected);
      });
    }

    it('coerces boolean sub-attributes inside multi-valued attributes', () => {
      const result = normalizeUser(user({ emails: [{ value: 'a@example.com', primary: 'True' }] }));
      expect(result['emails']).to.deep.equal([{ value: 'a@example.com', primary: true }]);
    });
  });

  it('does not mutate its input', () => {
    const body = {
      schemas: [CORE_USER.toLowerCase()],
      USERNAME: 'bjensen',
      id: 'abc',
      active: 'False',
      name: { GIVENNAME: 'Barbara', middleName: null },
      [ENTERPRISE.toLowerCase()]: { manager: { value: 'm', displayName: 'x' } },
    };
    const copy = structuredClone(body);
    normalizeUser(body);
    expect(body).to.deep.equal(copy);
  });

  describe('rejecting bodies that are not JSON objects', () => {
    for (const body of [[], 'userName', null, 42, undefined, true]) {
      it(`rejects ${JSON.stringify(body)} with invalidSyntax`, () => {
        expectScimError(() => normalizeUser(body), 'invalidSyntax');
      });
    }
  });

  describe('checking schemas', () => {
    const cases: { what: string; body: ScimObject; mentions: string }[] = [
      { what: 'schemas is missing', body: { userName: 'bjensen' }, mentions: CORE_USER },
      { what: 'schemas is not an array', body: { schemas: CORE_USER, userName: 'bjensen' }, mentions: CORE_USER },
      { what: 'schemas holds a non-string', body: { schemas: [CORE_USER, 1], userName: 'b' }, mentions: CORE_USER },
      { what: 'the core URN is missing', body: { schemas: [ENTERPRISE], userName: 'bjensen' }, mentions: CORE_USER },
      { what: 'the core URN is of another type', body: { schemas: [CORE_GROUP], userName: 'b' }, mentions: CORE_USER },
      {
        what: 'an unknown URN is listed',
        body: { schemas: [CORE_USER, 'urn:example:custom'], userName: 'bjensen' },
        mentions: 'urn:example:custom',
      },
    ];
    for (const { what, body, mentions } of cases) {
      it(`rejects the body with invalidSyntax when ${what}`, () => {
        expect(expectScimError(() => normalizeUser(body), 'invalidSyntax')).to.include(mentions);
      });
    }
  });

  describe('rejecting unknown attributes', () => {
    const cases: { body: ScimObject; name: string }[] = [
      { body: user({ fooBar: 1 }), name: 'fooBar' },
      { body: user({ name: { nickname: 'x' } }), name: 'name.nickname' },
      { body: user({ emails: [{ value: 'a@example.com', label: 'x' }] }), name: 'emails.label' },
      { body: user({ [ENTERPRISE]: { badge: '1' } }), name: `${ENTERPRISE}:badge` },
      { body: user({ [`${ENTERPRISE}:department`]: 'x' }), name: `${ENTERPRISE}:department` },
      { body: user({ department: 'x' }), name: 'department' },
      { body: user({ [ROLE]: {} }), name: ROLE },
    ];
    for (const { body, name } of cases) {
      it(`rejects "${name}" with invalidSyntax naming it`, () => {
        expect(expectScimError(() => normalizeUser(body), 'invalidSyntax')).to.include(`"${name}"`);
      });
    }

    it('names the resource type in the detail', () => {
      expect(expectScimError(() => normalizeUser(user({ fooBar: 1 })), 'invalidSyntax'))
        .to.equal('Unknown attribute "fooBar" for resource type User');
    });

    it('rejects an attribute given twice in different case', () => {
      expect(expectScimError(() => normalizeUser(user({ UserName: 'other' })), 'invalidSyntax'))
        .to.include('"userName"');
    });
  });

  describe('requiring attributes', () => {
    it('requires userName for a User', () => {
      expect(expectScimError(() => normalizeUser({ schemas: [CORE_USER] }), 'invalidValue'))
        .to.equal('Attribute "userName" is required');
    });

    it('treats a null userName as missing', () => {
      expectScimError(() => normalizeUser(user({ userName: null })), 'invalidValue');
    });

    it('requires displayName for a Group', () => {
      const detail = expectScimError(() => groupResourceSchema.normalize({ schemas: [CORE_GROUP] }, create), 'invalidValue');
      expect(detail).to.equal('Attribute "displayName" is required');
    });

    it('requires members.value for each Group member', () => {
      const body = { schemas: [CORE_GROUP], displayName: 'x', members: [{ display: 'no id' }] };
      expect(expectScimError(() => groupResourceSchema.normalize(body, create), 'invalidValue'))
        .to.equal('Attribute "members.value" is required');
    });
  });

  describe('checking types', () => {
    const cases: { body: ScimObject; detail: string }[] = [
      { body: user({ active: 'yes' }), detail: 'Attribute "active" must be a boolean' },
      { body: user({ active: 1 }), detail: 'Attribute "active" must be a boolean' },
      { body: user({ userName: 42 }), detail: 'Attribute "userName" must be a string' },
      { body: user({ profileUrl: false }), detail: 'Attribute "profileUrl" must be a string' },
      { body: user({ name: 'Barbara Jensen' }), detail: 'Attribute "name" must be a complex value (JSON object)' },
      { body: user({ name: { givenName: ['B'] } }), detail: 'Attribute "name.givenName" must be a string' },
      {
        body: user({ emails: { value: 'a@example.com' } }),
        detail: 'Attribute "emails" must be multi-valued (a JSON array)',
      },
      {
        body: user({ emails: ['a@example.com'] }),
        detail: 'Each value of attribute "emails" must be a complex value (JSON object)',
      },
      { body: user({ emails: [{ primary: 'maybe' }] }), detail: 'Attribute "emails.primary" must be a boolean' },
      { body: user({ x509Certificates: [{ value: 7 }] }), detail: 'Attribute "x509Certificates.value" must be a string' },
      {
        body: user({ [ENTERPRISE]: { manager: { value: 26118915 } } }),
        detail: `Attribute "${ENTERPRISE}:manager.value" must be a string`,
      },
      { body: user({ [ENTERPRISE]: 'Sales' }), detail: `Extension "${ENTERPRISE}" must be a JSON object` },
    ];
    for (const { body, detail } of cases) {
      it(`rejects with invalidValue: ${detail}`, () => {
        expect(expectScimError(() => normalizeUser(body), 'invalidValue')).to.equal(detail);
      });
    }
  });
});
