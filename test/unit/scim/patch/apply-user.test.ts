import { expect } from 'chai';
import type { ScimType } from '../../../../scim/errors';
import { USER_SCHEMA_URN, type ScimObject } from '../../../../scim/schema';
import { changed, ENTERPRISE, expectScimError, JOHN_ID, patch, user } from './helpers';

interface Case {
  readonly name: string;
  readonly operations: unknown[];
  /** Top-level attributes of the result that differ from `user()`; undefined means removed. */
  readonly changes: ScimObject;
}

const enterprise = (changes: ScimObject): ScimObject => {
  const current = user()[ENTERPRISE] as ScimObject;
  const next: ScimObject = { ...current, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete next[key];
  return next;
};

const workEmail = { value: 'bjensen@example.com', type: 'work', primary: true };
const homeEmail = { value: 'babs@jensen.org', type: 'home' };

describe('applyPatch on a User (RFC 7644 §3.5.2)', () => {
  describe('add (§3.5.2.1)', () => {
    const cases: Case[] = [
      {
        name: 'add with a path to a single-valued attribute sets it',
        operations: [{ op: 'add', path: 'nickName', value: 'Babs' }],
        changes: { nickName: 'Babs' },
      },
      {
        name: 'add to a single-valued attribute that has a value replaces the value',
        operations: [{ op: 'add', path: 'title', value: 'Senior Tour Guide' }],
        changes: { title: 'Senior Tour Guide' },
      },
      {
        name: 'add to a multi-valued attribute appends the values',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'babs@example.org', type: 'other' }] }],
        changes: { emails: [workEmail, homeEmail, { value: 'babs@example.org', type: 'other' }] },
      },
      {
        name: 'add of a single value (not an array) to a multi-valued attribute appends it',
        operations: [{ op: 'add', path: 'phoneNumbers', value: { value: '555-555-4444', type: 'mobile' } }],
        changes: { phoneNumbers: [{ value: '555-555-5555', type: 'work' }, { value: '555-555-4444', type: 'mobile' }] },
      },
      {
        name: 'add of an email already present, in another case, does not duplicate it',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'BABS@Jensen.org', type: 'home' }] }],
        changes: {},
      },
      {
        name: 'add of a value deep-equal to one present does not duplicate it',
        operations: [{ op: 'add', path: 'phoneNumbers', value: [{ value: '555-555-5555', type: 'work' }] }],
        changes: {},
      },
      {
        name: 'add of the same new value twice in one list adds it once',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'x@example.org' }, { value: 'X@example.org' }] }],
        changes: { emails: [workEmail, homeEmail, { value: 'x@example.org' }] },
      },
      {
        name: 'add of a primary value takes primary away from the other values',
        operations: [{ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'other', primary: true }] }],
        changes: {
          emails: [{ value: 'bjensen@example.com', type: 'work' }, homeEmail, { value: 'new@example.com', type: 'other', primary: true }],
        },
      },
      {
        name: 'add to a complex attribute merges the given sub-attributes',
        operations: [{ op: 'add', path: 'name', value: { middleName: 'Jane', givenName: 'Barb' } }],
        changes: { name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barb', middleName: 'Jane' } },
      },
      {
        name: 'add to a sub-attribute of a complex attribute sets it',
        operations: [{ op: 'add', path: 'name.honorificPrefix', value: 'Ms.' }],
        changes: { name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara', honorificPrefix: 'Ms.' } },
      },
      {
        name: 'add to a complex attribute that has no value creates it',
        operations: [{ op: 'remove', path: 'name' }, { op: 'add', path: 'name', value: { givenName: 'B' } }],
        changes: { name: { givenName: 'B' } },
      },
      {
        name: 'add through a value filter with a sub-attribute sets it on the matching values',
        operations: [{ op: 'add', path: 'emails[type eq "work"].display', value: 'Work' }],
        changes: { emails: [{ ...workEmail, display: 'Work' }, homeEmail] },
      },
      {
        name: 'add through an eq filter that matches nothing creates the value the filter describes',
        operations: [{ op: 'add', path: 'addresses[type eq "work"].locality', value: 'Seattle' }],
        changes: { addresses: [...(user().addresses as unknown[]), { type: 'work', locality: 'Seattle' }] },
      },
      {
        name: 'add through an "and" of eq comparisons that matches nothing creates the value with both',
        operations: [{ op: 'add', path: 'phoneNumbers[type eq "mobile" and primary eq true].value', value: '555-1' }],
        changes: {
          phoneNumbers: [{ value: '555-555-5555', type: 'work' }, { type: 'mobile', primary: true, value: '555-1' }],
        },
      },
      {
        name: 'add through a value filter without sub-attribute merges the object into the matching values',
        operations: [{ op: 'add', path: 'emails[value eq "babs@jensen.org"]', value: { display: 'Babs at home' } }],
        changes: { emails: [workEmail, { ...homeEmail, display: 'Babs at home' }] },
      },
      {
        name: 'add to a sub-attribute of a multi-valued attribute without filter sets it on every value',
        operations: [{ op: 'add', path: 'emails.display', value: 'Babs' }],
        changes: { emails: [{ ...workEmail, display: 'Babs' }, { ...homeEmail, display: 'Babs' }] },
      },
      {
        name: 'add to a URN-qualified extension attribute sets it in the extension object',
        operations: [{ op: 'add', path: `${ENTERPRISE}:costCenter`, value: '4130' }],
        changes: { [ENTERPRISE]: enterprise({ costCenter: '4130' }) },
      },
      {
        name: 'add to the extension sub-attribute manager.value changes the manager and drops its stale displayName',
        operations: [{ op: 'add', path: `${ENTERPRISE}:manager.value`, value: 'm2' }],
        changes: { [ENTERPRISE]: enterprise({ manager: { value: 'm2' } }) },
      },
      {
        name: 'add without path applies every key as a path, dotted and URN-qualified names included',
        operations: [{
          op: 'add',
          value: {
            nickName: 'Babs',
            'name.middleName': 'Jane',
            [`${ENTERPRISE}:division`]: 'Theme Parks',
            emails: [{ value: 'babs@example.net', type: 'other' }],
          },
        }],
        changes: {
          nickName: 'Babs',
          name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara', middleName: 'Jane' },
          emails: [workEmail, homeEmail, { value: 'babs@example.net', type: 'other' }],
          [ENTERPRISE]: enterprise({ division: 'Theme Parks' }),
        },
      },
      {
        name: 'add without path accepts an extension URN key holding an object of its attributes',
        operations: [{ op: 'add', value: { [ENTERPRISE]: { organization: 'Universal', department: 'Rides' } } }],
        changes: { [ENTERPRISE]: enterprise({ organization: 'Universal', department: 'Rides' }) },
      },
      {
        name: 'add without path accepts a URN-qualified key with a sub-attribute',
        operations: [{ op: 'add', value: { [`${ENTERPRISE}:manager.value`]: 'm3' } }],
        changes: { [ENTERPRISE]: enterprise({ manager: { value: 'm3' } }) },
      },
    ];
    for (const { name, operations, changes } of cases) {
      it(name, () => {
        expect(patch('user', operations)).to.deep.equal(changed(user(), changes));
      });
    }
  });

  describe('replace (§3.5.2.3)', () => {
    const cases: Case[] = [
      {
        name: 'replace of a single-valued attribute sets it',
        operations: [{ op: 'replace', path: 'displayName', value: 'Barbara Jensen' }],
        changes: { displayName: 'Barbara Jensen' },
      },
      {
        name: 'replace of an attribute without value adds it',
        operations: [{ op: 'replace', path: 'locale', value: 'en-US' }],
        changes: { locale: 'en-US' },
      },
      {
        name: 'replace of a multi-valued attribute without filter replaces the whole list',
        operations: [{ op: 'replace', path: 'emails', value: [{ value: 'only@example.com', type: 'work' }] }],
        changes: { emails: [{ value: 'only@example.com', type: 'work' }] },
      },
      {
        name: 'replace of a multi-valued attribute with an empty list removes it',
        operations: [{ op: 'replace', path: 'phoneNumbers', value: [] }],
        changes: { phoneNumbers: undefined },
      },
      {
        name: 'replace through a value filter replaces the matching values',
        operations: [{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'barbara@jensen.org', type: 'home' } }],
        changes: { emails: [workEmail, { value: 'barbara@jensen.org', type: 'home' }] },
      },
      {
        name: 'replace through a value filter with a sub-attribute replaces that sub-attribute of the matching values',
        operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'barbara@example.com' }],
        changes: { emails: [{ ...workEmail, value: 'barbara@example.com' }, homeEmail] },
      },
      {
        name: 'replace through a value filter compares case-insensitively for caseExact=false sub-attributes',
        operations: [{ op: 'replace', path: 'emails[value eq "BABS@JENSEN.ORG"].type', value: 'other' }],
        changes: { emails: [workEmail, { ...homeEmail, type: 'other' }] },
      },
      {
        name: 'replace of primary through a filter leaves a single primary value',
        operations: [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }],
        changes: { emails: [{ value: 'bjensen@example.com', type: 'work' }, { ...homeEmail, primary: true }] },
      },
      {
        name: 'replace of a complex attribute merges the given sub-attributes (RFC 7644 §3.5.2.3)',
        operations: [{ op: 'replace', path: 'name', value: { givenName: 'Barb', formatted: null } }],
        changes: { name: { familyName: 'Jensen', givenName: 'Barb' } },
      },
      {
        name: 'replace of a sub-attribute of a complex attribute sets it',
        operations: [{ op: 'replace', path: 'name.familyName', value: 'Jensen-Smith' }],
        changes: { name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen-Smith', givenName: 'Barbara' } },
      },
      {
        name: 'replace without path applies each key, ignoring id, meta and schemas',
        operations: [{
          op: 'replace',
          value: { id: 'other', schemas: ['x'], meta: { version: 'W/"1"' }, title: 'Captain', active: false },
        }],
        changes: { title: 'Captain', active: false },
      },
      {
        name: 'replace without path with null unassigns the attribute (RFC 7643 §2.5)',
        operations: [{ op: 'replace', value: { title: null, 'name.formatted': null } }],
        changes: { title: undefined, name: { familyName: 'Jensen', givenName: 'Barbara' } },
      },
      {
        name: 'replace without path of a multi-valued attribute replaces the whole list',
        operations: [{ op: 'replace', value: { emails: [{ value: 'b@example.com', primary: true }] } }],
        changes: { emails: [{ value: 'b@example.com', primary: true }] },
      },
      {
        name: 'replace without path accepts a key with a value filter, applied as that path',
        operations: [{ op: 'replace', value: { 'emails[type eq "home"].value': 'barbara@jensen.org' } }],
        changes: { emails: [workEmail, { value: 'barbara@jensen.org', type: 'home' }] },
      },
      {
        name: 'replace without path accepts readOnly attributes equal to their current value',
        operations: [{ op: 'replace', value: { groups: user().groups, nickName: 'B' } }],
        changes: { nickName: 'B' },
      },
      {
        name: 'attribute names in paths and values are case-insensitive and come back canonical',
        operations: [
          { op: 'replace', path: 'USERNAME', value: 'babs@example.com' },
          { op: 'replace', path: 'Name.GivenName', value: 'Barb' },
          { op: 'add', path: 'EMAILS', value: [{ VALUE: 'c@example.com', Type: 'other' }] },
          { op: 'replace', value: { NICKNAME: 'B', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT': 'Ops' } },
        ],
        changes: {
          userName: 'babs@example.com',
          name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barb' },
          emails: [workEmail, homeEmail, { value: 'c@example.com', type: 'other' }],
          nickName: 'B',
          [ENTERPRISE]: enterprise({ department: 'Ops' }),
        },
      },
      {
        name: 'replace of the manager with an object keeps the other sub-attributes when value is unchanged',
        operations: [{ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: JOHN_ID } }],
        changes: {},
      },
    ];
    for (const { name, operations, changes } of cases) {
      it(name, () => {
        expect(patch('user', operations)).to.deep.equal(changed(user(), changes));
      });
    }
  });

  describe('remove (§3.5.2.2)', () => {
    const cases: Case[] = [
      {
        name: 'remove of a single-valued attribute removes it',
        operations: [{ op: 'remove', path: 'title' }],
        changes: { title: undefined },
      },
      {
        name: 'remove of a complex attribute removes it',
        operations: [{ op: 'remove', path: 'name' }],
        changes: { name: undefined },
      },
      {
        name: 'remove of a sub-attribute removes only it',
        operations: [{ op: 'remove', path: 'name.formatted' }],
        changes: { name: { familyName: 'Jensen', givenName: 'Barbara' } },
      },
      {
        name: 'remove of the last sub-attributes of a complex attribute removes the attribute',
        operations: [{ op: 'remove', path: 'name.formatted' }, { op: 'remove', path: 'name.familyName' }, { op: 'remove', path: 'name.givenName' }],
        changes: { name: undefined },
      },
      {
        name: 'remove of a multi-valued attribute removes all its values',
        operations: [{ op: 'remove', path: 'emails' }],
        changes: { emails: undefined },
      },
      {
        name: 'remove through a value filter removes only the matching values',
        operations: [{ op: 'remove', path: 'emails[type eq "home"]' }],
        changes: { emails: [workEmail] },
      },
      {
        name: 'remove through a value filter of every value removes the attribute',
        operations: [{ op: 'remove', path: 'phoneNumbers[type eq "work"]' }],
        changes: { phoneNumbers: undefined },
      },
      {
        name: 'remove through a value filter with a sub-attribute removes it from the matching values',
        operations: [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
        changes: { emails: [{ value: 'bjensen@example.com', type: 'work' }, homeEmail] },
      },
      {
        name: 'remove through a value filter that matches nothing changes nothing (a no-op, not an error)',
        operations: [{ op: 'remove', path: 'emails[type eq "other"]' }],
        changes: {},
      },
      {
        name: 'remove of a sub-attribute of a multi-valued attribute without filter removes it from every value',
        operations: [{ op: 'remove', path: 'emails.type' }],
        changes: { emails: [{ value: 'bjensen@example.com', primary: true }, { value: 'babs@jensen.org' }] },
      },
      {
        name: 'remove of a multi-valued attribute with a value list removes only those values',
        operations: [{ op: 'remove', path: 'emails', value: [{ value: 'BABS@jensen.org' }] }],
        changes: { emails: [workEmail] },
      },
      {
        name: 'remove of an attribute that has no value changes nothing',
        operations: [{ op: 'remove', path: 'nickName' }],
        changes: {},
      },
      {
        name: 'remove of an extension attribute removes it from the extension object',
        operations: [{ op: 'remove', path: `${ENTERPRISE}:department` }],
        changes: { [ENTERPRISE]: enterprise({ department: undefined }) },
      },
      {
        name: 'remove of every extension attribute removes the extension and its URN from schemas',
        operations: [
          { op: 'remove', path: `${ENTERPRISE}:department` },
          { op: 'remove', path: `${ENTERPRISE}:employeeNumber` },
          { op: 'remove', path: `${ENTERPRISE}:manager` },
        ],
        changes: { [ENTERPRISE]: undefined, schemas: [USER_SCHEMA_URN] },
      },
    ];
    for (const { name, operations, changes } of cases) {
      it(name, () => {
        expect(patch('user', operations)).to.deep.equal(changed(user(), changes));
      });
    }
  });

  describe('the result', () => {
    it('keeps id, meta and groups, which normalization alone would drop', () => {
      const result = patch('user', [{ op: 'replace', path: 'title', value: 'x' }]);
      expect(result.id).to.equal(user().id);
      expect(result.meta).to.deep.equal(user().meta);
      expect(result.groups).to.deep.equal(user().groups);
    });

    it('lists schemas first and the extension and meta last', () => {
      const result = patch('user', [{ op: 'add', path: 'nickName', value: 'Babs' }]);
      const keys = Object.keys(result);
      expect(keys[0]).to.equal('schemas');
      expect(keys.slice(-2)).to.deep.equal([ENTERPRISE, 'meta']);
    });

    it('adds the extension URN to schemas when a first extension attribute is added', () => {
      const base = user();
      delete base[ENTERPRISE];
      base.schemas = [USER_SCHEMA_URN];
      const result = patch('user', [{ op: 'add', path: `${ENTERPRISE}:department`, value: 'Rides' }], base);
      expect(result.schemas).to.deep.equal([USER_SCHEMA_URN, ENTERPRISE]);
      expect(result[ENTERPRISE]).to.deep.equal({ department: 'Rides' });
    });

    it('canonicalises attribute names that the stored resource spelled in another case', () => {
      const base = user();
      delete base.title;
      base.TITLE = 'Tour Guide';
      const result = patch('user', [{ op: 'replace', path: 'nickName', value: 'B' }], base);
      expect(result).to.have.property('title', 'Tour Guide');
      expect(result).not.to.have.property('TITLE');
    });
  });

  describe('errors', () => {
    const cases: { name: string; operations: unknown[]; scimType: ScimType; detail: string[] }[] = [
      { name: 'a path to an unknown attribute', operations: [{ op: 'add', path: 'shoeSize', value: 42 }], scimType: 'invalidPath', detail: ['shoeSize'] },
      { name: 'a path to an unknown sub-attribute', operations: [{ op: 'replace', path: 'name.nickname', value: 'x' }], scimType: 'invalidPath', detail: ['name.nickname'] },
      { name: 'a path with an unknown extension attribute', operations: [{ op: 'remove', path: `${ENTERPRISE}:badge` }], scimType: 'invalidPath', detail: ['badge'] },
      {
        name: 'a value filter naming an unknown sub-attribute',
        operations: [{ op: 'replace', path: 'emails[kind eq "work"].value', value: 'x' }],
        scimType: 'invalidPath',
        detail: ['"kind"'],
      },
      {
        name: 'an unknown sub-attribute after a value filter',
        operations: [{ op: 'replace', path: 'emails[type eq "work"].label', value: 'x' }],
        scimType: 'invalidPath',
        detail: ['"label"'],
      },
      { name: 'a value filter on a single-valued attribute', operations: [{ op: 'remove', path: 'name[givenName eq "x"]' }], scimType: 'invalidPath', detail: ['multi-valued'] },
      { name: 'an unknown key in a value without path', operations: [{ op: 'replace', value: { shoeSize: 42 } }], scimType: 'invalidSyntax', detail: ['shoeSize'] },
      { name: 'an unknown sub-attribute in a complex value', operations: [{ op: 'add', path: 'name', value: { nickname: 'x' } }], scimType: 'invalidSyntax', detail: ['name.nickname'] },
      { name: 'an unknown attribute inside an extension URN key', operations: [{ op: 'add', value: { [ENTERPRISE]: { badge: 'x' } } }], scimType: 'invalidSyntax', detail: ['badge'] },
      { name: 'a path to id', operations: [{ op: 'replace', path: 'id', value: 'x' }], scimType: 'mutability', detail: ['"id"'] },
      { name: 'a path to meta.created', operations: [{ op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' }], scimType: 'mutability', detail: ['"meta.created" is readOnly'] },
      { name: 'a remove of meta', operations: [{ op: 'remove', path: 'meta' }], scimType: 'mutability', detail: ['"meta"'] },
      { name: 'an add to groups', operations: [{ op: 'add', path: 'groups', value: [{ value: 'g2' }] }], scimType: 'mutability', detail: ['"groups"'] },
      { name: 'a path to the readOnly manager.displayName', operations: [{ op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'x' }], scimType: 'mutability', detail: ['manager.displayName'] },
      { name: 'a changed readOnly attribute in a value without path', operations: [{ op: 'replace', value: { groups: [] } }], scimType: 'mutability', detail: ['"groups"'] },
      { name: 'a remove of the required userName', operations: [{ op: 'remove', path: 'userName' }], scimType: 'invalidValue', detail: ['userName', 'required'] },
      { name: 'a null userName in a value without path', operations: [{ op: 'replace', value: { userName: null } }], scimType: 'invalidValue', detail: ['userName', 'required'] },
      { name: 'a boolean attribute given a string that is not true or false', operations: [{ op: 'replace', path: 'active', value: 'yes' }], scimType: 'invalidValue', detail: ['active'] },
      { name: 'a string attribute given a number', operations: [{ op: 'replace', path: 'title', value: 7 }], scimType: 'invalidValue', detail: ['title'] },
      { name: 'a complex attribute given a number', operations: [{ op: 'replace', path: 'name', value: 7 }], scimType: 'invalidValue', detail: ['name'] },
      { name: 'a single-valued attribute given a list', operations: [{ op: 'add', path: 'nickName', value: ['a', 'b'] }], scimType: 'invalidValue', detail: ['nickName'] },
      { name: 'a value without path that is not an object', operations: [{ op: 'add', value: 'Babs' }], scimType: 'invalidValue', detail: ['object'] },
      { name: 'a replace through a value filter that matches nothing', operations: [{ op: 'replace', path: 'emails[type eq "other"].value', value: 'x@example.com' }], scimType: 'noTarget', detail: ['emails[type eq "other"].value'] },
      { name: 'an add through a non-eq filter that matches nothing', operations: [{ op: 'add', path: 'emails[value co "nowhere"].type', value: 'work' }], scimType: 'noTarget', detail: ['emails'] },
      { name: 'an email element whose value is not a string', operations: [{ op: 'add', path: 'emails', value: [{ value: 5 }] }], scimType: 'invalidValue', detail: ['emails.value'] },
    ];
    for (const { name, operations, scimType, detail } of cases) {
      it(`rejects ${name} with 400 ${scimType}`, () => {
        expectScimError(() => patch('user', operations), 400, scimType, ...detail);
      });
    }

    it('prefixes the detail with the index of the failing operation', () => {
      expectScimError(
        () => patch('user', [{ op: 'add', path: 'title', value: 'x' }, { op: 'remove', path: 'userName' }]),
        400,
        'invalidValue',
        'Operations[1]:',
      );
    });
  });
});
