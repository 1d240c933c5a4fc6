import { expect } from 'chai';
import {
  COMMON_ATTRIBUTES, groupResourceSchema, MAX_ATTRIBUTE_NAMES, parseAttributeList, projectorFor, projectorsBuilt, ResourceSchema,
  userResourceSchema, type AttributeDefinition, type ProjectionOptions, type ScimObject,
} from '../../../../scim/schema';
import { attribute } from '../../../../scim/schema/attribute';
import { CORE_GROUP, CORE_USER, ENTERPRISE, ROLE, expectScimError } from './helpers';

const meta = {
  resourceType: 'User',
  created: '2024-05-01T12:00:00Z',
  lastModified: '2024-05-02T12:00:00Z',
  location: 'https://example.com/scim/v2/Users/u1',
  version: 'W/"3"',
};
const stored: ScimObject = {
  schemas: [CORE_USER, ENTERPRISE],
  id: 'u1',
  externalId: 'ext-1',
  userName: 'bjensen',
  name: { familyName: 'Jensen', givenName: 'Barbara' },
  active: true,
  password: '$argon2id$hash',
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@example.org', type: 'home' },
  ],
  groups: [{ value: 'g1', display: 'Tour Guides', type: 'direct' }],
  [ENTERPRISE]: { department: 'Tour Operations', manager: { value: 'm1', displayName: 'John Smith' } },
  meta,
};
const project = (options: ProjectionOptions): ScimObject => userResourceSchema.project(stored, options);

describe('ResourceSchema.project', () => {
  it('returns default and always attributes, never the password, when no list is given', () => {
    const { password: _password, ...expected } = stored;
    expect(project({})).to.deep.equal(expected);
  });

  it('does not mutate the resource', () => {
    const copy = structuredClone(stored);
    project({ attributes: ['name.givenName'], excludedAttributes: ['emails'] });
    expect(stored).to.deep.equal(copy);
  });

  describe('with attributes', () => {
    const cases: { attributes: string[]; expected: ScimObject }[] = [
      { attributes: ['userName'], expected: { schemas: [CORE_USER], id: 'u1', userName: 'bjensen' } },
      { attributes: ['USERNAME', ' active '], expected: { schemas: [CORE_USER], id: 'u1', userName: 'bjensen', active: true } },
      { attributes: ['password'], expected: { schemas: [CORE_USER], id: 'u1' } },
      { attributes: ['id'], expected: { schemas: [CORE_USER], id: 'u1' } },
      { attributes: ['name.familyName'], expected: { schemas: [CORE_USER], id: 'u1', name: { familyName: 'Jensen' } } },
      {
        attributes: ['emails.value'],
        expected: { schemas: [CORE_USER], id: 'u1', emails: [{ value: 'bjensen@example.com' }, { value: 'babs@example.org' }] },
      },
      {
        attributes: ['emails.primary'],
        expected: { schemas: [CORE_USER], id: 'u1', emails: [{ primary: true }] },
      },
      {
        attributes: [`${CORE_USER}:userName`],
        expected: { schemas: [CORE_USER], id: 'u1', userName: 'bjensen' },
      },
      {
        attributes: [`${ENTERPRISE}:department`],
        expected: { schemas: [CORE_USER, ENTERPRISE], id: 'u1', [ENTERPRISE]: { department: 'Tour Operations' } },
      },
      {
        attributes: [`${ENTERPRISE.toLowerCase()}:MANAGER.value`],
        expected: { schemas: [CORE_USER, ENTERPRISE], id: 'u1', [ENTERPRISE]: { manager: { value: 'm1' } } },
      },
      {
        attributes: [ENTERPRISE],
        expected: { schemas: [CORE_USER, ENTERPRISE], id: 'u1', [ENTERPRISE]: stored[ENTERPRISE] as ScimObject },
      },
      { attributes: ['meta.version'], expected: { schemas: [CORE_USER], id: 'u1', meta: { version: 'W/"3"' } } },
      { attributes: ['meta'], expected: { schemas: [CORE_USER], id: 'u1', meta } },
      { attributes: ['fooBar', 'name.nope', 'urn:example:x'], expected: { schemas: [CORE_USER], id: 'u1' } },
    ];
    for (const { attributes, expected } of cases) {
      it(`returns only ${JSON.stringify(attributes)} plus id and schemas`, () => {
        expect(project({ attributes })).to.deep.equal(expected);
      });
    }
  });

  describe('with excludedAttributes', () => {
    it('drops the named attributes, sub-attributes and extension attributes', () => {
      const result = project({ excludedAttributes: ['Emails', 'name.givenName', `${ENTERPRISE}:manager`, 'meta.location'] });
      expect(result).to.not.have.property('emails');
      expect(result['name']).to.deep.equal({ familyName: 'Jensen' });
      expect(result[ENTERPRISE]).to.deep.equal({ department: 'Tour Operations' });
      expect(result['meta']).to.not.have.property('location');
      expect(result['meta']).to.have.property('version');
      expect(result['userName']).to.equal('bjensen');
    });

    it('drops a whole extension named by its URN, and its URN from schemas', () => {
      const result = project({ excludedAttributes: [ENTERPRISE.toUpperCase()] });
      expect(result).to.not.have.property(ENTERPRISE);
      expect(result['schemas']).to.deep.equal([CORE_USER]);
    });

    it('drops an extension whose last attributes are excluded', () => {
      const result = project({ excludedAttributes: [`${ENTERPRISE}:department`, `${ENTERPRISE}:manager`] });
      expect(result).to.not.have.property(ENTERPRISE);
      expect(result['schemas']).to.deep.equal([CORE_USER]);
    });

    it('never drops attributes returned always, nor schemas', () => {
      const result = project({ excludedAttributes: ['id', 'schemas'] });
      expect(result['id']).to.equal('u1');
      expect(result['schemas']).to.deep.equal([CORE_USER, ENTERPRISE]);
    });

    it('keeps meta when it is not excluded', () => {
      expect(project({ excludedAttributes: ['groups'] })['meta']).to.deep.equal(meta);
    });

    it('ignores unknown names', () => {
      expect(project({ excludedAttributes: ['nope', 'emails.nope'] })).to.deep.equal(project({}));
    });

    it('applies after attributes when both are given', () => {
      expect(project({ attributes: ['name'], excludedAttributes: ['name.givenName'] }))
        .to.deep.equal({ schemas: [CORE_USER], id: 'u1', name: { familyName: 'Jensen' } });
    });
  });

  it('returns role extension attributes of a Group', () => {
    const group = {
      schemas: [CORE_GROUP, ROLE],
      id: 'g1',
      displayName: 'Admins',
      members: [{ value: 'u1', display: 'Barbara', type: 'User' }],
      [ROLE]: { kind: 'system', assignableTo: 'person', risk: 'high', permissions: ['users.write'] },
    };
    expect(groupResourceSchema.project(group, {})).to.deep.equal(group);
    expect(groupResourceSchema.project(group, { attributes: ['displayName'] }))
      .to.deep.equal({ schemas: [CORE_GROUP], id: 'g1', displayName: 'Admins' });
    expect(groupResourceSchema.project(group, { attributes: [`${ROLE}:risk`] }))
      .to.deep.equal({ schemas: [CORE_GROUP, ROLE], id: 'g1', [ROLE]: { risk: 'high' } });
  });

  it('drops attributes no schema defines', () => {
    expect(userResourceSchema.project({ schemas: [CORE_USER], id: 'u1', internalNote: 'x' }, {}))
      .to.deep.equal({ schemas: [CORE_USER], id: 'u1' });
  });

  describe('honours returned: request', () => {
    const THING = 'urn:example:schemas:Thing';
    const things = new ResourceSchema(
      { id: 'Thing', name: 'Thing', endpoint: '/Things', description: 'Things', schema: THING, schemaExtensions: [] },
      [{
        id: THING,
        name: 'Thing',
        description: 'Thing',
        attributes: [
          attribute('label', 'string', 'Label'),
          attribute('secretHint', 'string', 'Returned on request', { returned: 'request' }),
        ],
      }],
    );
    const thing = { schemas: [THING], id: 't1', label: 'x', secretHint: 'y' };

    it('leaves it out by default', () => {
      expect(things.project(thing, {})).to.deep.equal({ schemas: [THING], id: 't1', label: 'x' });
    });

    it('leaves it out when only other attributes are excluded', () => {
      expect(things.project(thing, { excludedAttributes: ['label'] })).to.deep.equal({ schemas: [THING], id: 't1' });
    });

    it('returns it when attributes names it', () => {
      expect(things.project(thing, { attributes: ['SECRETHINT'] }))
        .to.deep.equal({ schemas: [THING], id: 't1', secretHint: 'y' });
    });
  });
});

/** A list that counts how often its elements are read, however they are read (index, for…of, map). */
function countingList(names: readonly string[]): { list: readonly string[]; reads: () => number } {
  let reads = 0;
  const list = new Proxy([...names], {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads += 1;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { list, reads: () => reads };
}

/** `n` distinct names; unknown to the schemas, which does not matter to the bound. */
const distinct = (n: number, prefix = 'x'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Every name the User resource type defines, short and URN-qualified, and the schema URNs. */
function everyUserName(): string[] {
  const spell = (prefix: string, attributes: readonly AttributeDefinition[]): string[] => attributes.flatMap((a) => [
    `${prefix}${a.name}`, ...(a.subAttributes ?? []).map((sub) => `${prefix}${a.name}.${sub.name}`),
  ]);
  const core = [...userResourceSchema.coreSchema.attributes, ...COMMON_ATTRIBUTES];
  return [
    ...spell('', core),
    CORE_USER, ...spell(`${CORE_USER}:`, core),
    ...userResourceSchema.extensionSchemas.flatMap((schema) => [schema.id, ...spell(`${schema.id}:`, schema.attributes)]),
  ];
}

describe('projectorFor', () => {
  const resources = Array.from({ length: 1000 }, (_, i) => ({ ...stored, id: `u${i}` }));

  it('reads each name of its lists once, however many resources it projects', () => {
    const attributes = countingList(['userName', 'name.familyName', 'emails.value', ...distinct(97)]);
    const excludedAttributes = countingList(['name.givenName', ...distinct(49, 'y')]);
    const projector = projectorFor(userResourceSchema, { attributes: attributes.list, excludedAttributes: excludedAttributes.list });
    const projected = resources.map((resource) => projector.project(resource));
    expect(attributes.reads()).to.equal(100);
    expect(excludedAttributes.reads()).to.equal(50);
    expect(projected[999]).to.deep.equal({
      schemas: [CORE_USER], id: 'u999', userName: 'bjensen', name: { familyName: 'Jensen' },
      emails: [{ value: 'bjensen@example.com' }, { value: 'babs@example.org' }],
    });
  });

  it('counts one projector per call and none per resource projected', () => {
    const before = projectorsBuilt(userResourceSchema);
    const projector = projectorFor(userResourceSchema, { attributes: ['userName'] });
    for (const resource of resources) projector.project(resource);
    expect(projectorsBuilt(userResourceSchema) - before).to.equal(1);
  });

  it('projects as project() does, resource after resource', () => {
    const options = { attributes: ['name', 'emails.type'], excludedAttributes: ['name.givenName'] };
    const projector = projectorFor(userResourceSchema, options);
    expect(projector.project(stored)).to.deep.equal(userResourceSchema.project(stored, options));
    expect(projector.project({ ...stored, id: 'u2' })).to.deep.equal({ ...userResourceSchema.project(stored, options), id: 'u2' });
  });

  describe('de-duplicates names case-insensitively', () => {
    it('counts a name repeated in any case, spacing or number once', () => {
      const names = Array.from({ length: MAX_ATTRIBUTE_NAMES * 40 }, (_, i) =>
        [' userName', 'USERNAME ', 'username', `${CORE_USER.toUpperCase()}:userName`][i % 4] as string);
      expect(projectorFor(userResourceSchema, { attributes: names }).project(stored))
        .to.deep.equal({ schemas: [CORE_USER], id: 'u1', userName: 'bjensen' });
    });

    it('accepts the bound in distinct names however many duplicates come with them', () => {
      const names = [...distinct(MAX_ATTRIBUTE_NAMES - 1), ...distinct(MAX_ATTRIBUTE_NAMES - 1).map((name) => name.toUpperCase()),
        'emails.VALUE', 'Emails.Value'];
      expect(projectorFor(userResourceSchema, { excludedAttributes: names }).project(stored)['emails'])
        .to.deep.equal([{ type: 'work', primary: true }, { type: 'home' }]);
    });
  });

  describe('bounds its lists', () => {
    it(`accepts ${MAX_ATTRIBUTE_NAMES} distinct names`, () => {
      expect(() => projectorFor(userResourceSchema, { attributes: distinct(MAX_ATTRIBUTE_NAMES) })).to.not.throw();
    });

    for (const list of ['attributes', 'excludedAttributes'] as const) {
      it(`refuses ${MAX_ATTRIBUTE_NAMES + 1} distinct ${list} with 400 invalidValue naming the list and the limit`, () => {
        const detail = expectScimError(() => projectorFor(userResourceSchema, { [list]: distinct(MAX_ATTRIBUTE_NAMES + 1) }), 'invalidValue');
        expect(detail).to.equal(`"${list}" may name at most ${MAX_ATTRIBUTE_NAMES} distinct attributes`);
      });
    }

    it('stops reading a list at the first name beyond the bound', () => {
      const attributes = countingList(distinct(MAX_ATTRIBUTE_NAMES * 10));
      expectScimError(() => projectorFor(userResourceSchema, { attributes: attributes.list }), 'invalidValue');
      expect(attributes.reads()).to.equal(MAX_ATTRIBUTE_NAMES + 1);
    });

    it('leaves room for every name the User schemas define, in both spellings', () => {
      const names = everyUserName();
      expect(names.length).to.be.at.least(150);
      expect(MAX_ATTRIBUTE_NAMES).to.be.at.least(names.length * 1.5);
      const everything = projectorFor(userResourceSchema, { attributes: names }).project(stored);
      const { password: _password, ...expected } = stored;
      expect(everything).to.deep.equal(expected);
    });
  });

  describe('#returns()', () => {
    const cases: { options: ProjectionOptions; members: boolean }[] = [
      { options: {}, members: true },
      { options: { attributes: ['displayName'] }, members: false },
      { options: { attributes: ['MEMBERS'] }, members: true },
      { options: { attributes: ['members.display'] }, members: true },
      { options: { attributes: [`${CORE_GROUP}:members`] }, members: true },
      { options: { excludedAttributes: ['members'] }, members: false },
      { options: { excludedAttributes: [`${CORE_GROUP.toLowerCase()}:Members`] }, members: false },
      { options: { excludedAttributes: ['members.display'] }, members: true },
    ];
    for (const { options, members } of cases) {
      it(`says members ${members ? 'are' : 'are not'} returned for ${JSON.stringify(options)}`, () => {
        expect(projectorFor(groupResourceSchema, options).returns('members')).to.equal(members);
      });
    }
  });
});

describe('parseAttributeList', () => {
  const cases: { value: string | undefined; expected: string[] }[] = [
    { value: undefined, expected: [] },
    { value: '', expected: [] },
    { value: 'userName', expected: ['userName'] },
    { value: ' userName , name.familyName,,emails ', expected: ['userName', 'name.familyName', 'emails'] },
    { value: `${ENTERPRISE}:manager.value,id`, expected: [`${ENTERPRISE}:manager.value`, 'id'] },
    { value: 'userName,USERNAME, username ,name.familyName,NAME.FAMILYNAME', expected: ['userName', 'name.familyName'] },
  ];
  for (const { value, expected } of cases) {
    it(`splits ${JSON.stringify(value)} into ${JSON.stringify(expected)}`, () => {
      expect(parseAttributeList(value)).to.deep.equal(expected);
    });
  }

  it('refuses more distinct names than the bound, naming the parameter', () => {
    const detail = expectScimError(() => parseAttributeList(distinct(MAX_ATTRIBUTE_NAMES + 1).join(','), 'excludedAttributes'),
      'invalidValue');
    expect(detail).to.include('"excludedAttributes"').and.include(String(MAX_ATTRIBUTE_NAMES));
  });
});
