/**
 * Requests as Microsoft Entra ID and Okta send them, taken from their published SCIM provisioning
 * behaviour: they must work unchanged.
 */
import { expect } from 'chai';
import { applyPatch, parsePatchRequest, splitMemberOperations } from '../../../../scim/patch';
import { groupResourceSchema, type ScimObject } from '../../../../scim/schema';
import { BJENSEN_ID, body, changed, ENTERPRISE, group, GROUP_ID, MANDY_ID, patch, user } from './helpers';

const enterprise = (changes: ScimObject): ScimObject => ({ ...(user()[ENTERPRISE] as ScimObject), ...changes });

describe('PATCH requests of Microsoft Entra ID', () => {
  const cases: { name: string; kind: 'user' | 'group'; operations: unknown[]; changes: ScimObject }[] = [
    {
      name: 'capitalised ops ("Add", "Replace", "Remove") are applied',
      kind: 'user',
      operations: [
        { op: 'Add', path: 'nickName', value: 'Babs' },
        { op: 'Replace', path: 'title', value: 'Lead' },
        { op: 'Remove', path: 'phoneNumbers' },
      ],
      changes: { nickName: 'Babs', title: 'Lead', phoneNumbers: undefined },
    },
    {
      name: '"active": "False" with a path is taken as the boolean false',
      kind: 'user',
      operations: [{ op: 'Replace', path: 'active', value: 'False' }],
      changes: { active: false },
    },
    {
      name: '"active": "True" in a value without path is taken as the boolean true',
      kind: 'user',
      operations: [{ op: 'Replace', path: 'active', value: false }, { op: 'Replace', value: { active: 'True' } }],
      changes: {},
    },
    {
      name: 'a string boolean inside a multi-valued value is coerced too',
      kind: 'user',
      operations: [{ op: 'Replace', path: 'emails[type eq "home"].primary', value: 'true' }],
      changes: { emails: [{ value: 'bjensen@example.com', type: 'work' }, { value: 'babs@jensen.org', type: 'home', primary: true }] },
    },
    {
      name: 'an app role added with "primary": "True" gets a boolean primary',
      kind: 'user',
      operations: [{
        op: 'Add',
        path: 'roles',
        value: [{ primary: 'True', type: 'WindowsAzureActiveDirectoryRole', display: 'Admin', value: 'Admin' }],
      }],
      changes: { roles: [{ primary: true, type: 'WindowsAzureActiveDirectoryRole', display: 'Admin', value: 'Admin' }] },
    },
    {
      name: 'dotted keys in a value without path set sub-attributes',
      kind: 'user',
      operations: [{ op: 'Replace', value: { 'name.givenName': 'Barb', 'name.familyName': 'Jensen-Smith' } }],
      changes: { name: { formatted: 'Ms. Barbara J Jensen III', givenName: 'Barb', familyName: 'Jensen-Smith' } },
    },
    {
      name: 'URN-qualified keys in a value without path set extension attributes',
      kind: 'user',
      operations: [{
        op: 'Add',
        value: { [`${ENTERPRISE}:department`]: 'Rides', [`${ENTERPRISE}:employeeNumber`]: '42', displayName: 'Babs' },
      }],
      changes: { displayName: 'Babs', [ENTERPRISE]: enterprise({ department: 'Rides', employeeNumber: '42' }) },
    },
    {
      name: 'the manager given as a plain string id with a path becomes {value: id}',
      kind: 'user',
      operations: [{ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'boss-id' }],
      changes: { [ENTERPRISE]: enterprise({ manager: { value: 'boss-id' } }) },
    },
    {
      name: 'the manager given as a plain string id under a URN key without path becomes {value: id}',
      kind: 'user',
      operations: [{ op: 'Replace', value: { [`${ENTERPRISE}:manager`]: 'boss-id' } }],
      changes: { [ENTERPRISE]: enterprise({ manager: { value: 'boss-id' } }) },
    },
    {
      name: 'the manager given as a plain string inside the extension object becomes {value: id}',
      kind: 'user',
      operations: [{ op: 'Replace', value: { [ENTERPRISE]: { manager: 'boss-id' } } }],
      changes: { [ENTERPRISE]: enterprise({ manager: { value: 'boss-id' } }) },
    },
    {
      name: 'the manager is removed with a Remove of its URN path',
      kind: 'user',
      operations: [{ op: 'Remove', path: `${ENTERPRISE}:manager` }],
      changes: { [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations' } },
    },
    {
      name: 'a work address sent as separate filtered adds becomes one address',
      kind: 'user',
      operations: [
        { op: 'Add', path: 'addresses[type eq "work"].streetAddress', value: '1 Microsoft Way' },
        { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Redmond' },
        { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: '98052' },
        { op: 'Add', path: 'addresses[type eq "work"].country', value: 'US' },
      ],
      changes: {
        addresses: [
          ...(user().addresses as unknown[]),
          { type: 'work', streetAddress: '1 Microsoft Way', locality: 'Redmond', postalCode: '98052', country: 'US' },
        ],
      },
    },
    {
      name: 'a work email and phone are updated through filtered Replace paths',
      kind: 'user',
      operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'babs@contoso.com' },
        { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '+1 425 555 0100' },
      ],
      changes: {
        emails: [{ value: 'babs@contoso.com', type: 'work', primary: true }, { value: 'babs@jensen.org', type: 'home' }],
        phoneNumbers: [{ value: '+1 425 555 0100', type: 'work' }],
      },
    },
    {
      name: 'members are removed with a value list',
      kind: 'group',
      operations: [{ op: 'Remove', path: 'members', value: [{ value: MANDY_ID }] }],
      changes: { members: [{ value: BJENSEN_ID, display: 'Babs Jensen', type: 'User' }] },
    },
    {
      name: 'members are added with a capitalised Add',
      kind: 'group',
      operations: [{ op: 'Add', path: 'members', value: [{ value: 'u3' }] }],
      changes: { members: [...(group().members as unknown[]), { value: 'u3' }] },
    },
  ];
  for (const { name, kind, operations, changes } of cases) {
    it(name, () => {
      expect(patch(kind, operations)).to.deep.equal(changed(kind === 'user' ? user() : group(), changes));
    });
  }
});

describe('PATCH requests of Okta', () => {
  it('deactivates a user with replace {active: false} without path', () => {
    expect(patch('user', [{ op: 'replace', value: { active: false } }])).to.deep.equal(changed(user(), { active: false }));
  });

  it('renames a group with replace {id, displayName} without path, ignoring the readOnly id', () => {
    const result = patch('group', [{ op: 'replace', value: { id: GROUP_ID, displayName: 'Tour Leaders' } }]);
    expect(result).to.deep.equal(changed(group(), { displayName: 'Tour Leaders' }));
  });

  it('ignores the id in a rename even when it differs in case or value', () => {
    const result = patch('group', [{ op: 'replace', value: { ID: 'something-else', displayName: 'Tour Leaders' } }]);
    expect(result).to.deep.equal(changed(group(), { displayName: 'Tour Leaders' }));
  });

  it('removes and adds members in one request', () => {
    const operations = [
      { op: 'remove', path: `members[value eq "${MANDY_ID}"]` },
      { op: 'add', path: 'members', value: [{ value: 'u3', display: 'New Person' }] },
    ];
    expect(patch('group', operations)).to.deep.equal(changed(group(), {
      members: [{ value: BJENSEN_ID, display: 'Babs Jensen', type: 'User' }, { value: 'u3' }],
    }));
    const split = splitMemberOperations(parsePatchRequest(body(...operations)), groupResourceSchema);
    expect(split).to.deep.equal({
      memberChanges: [{ kind: 'remove', ids: [MANDY_ID] }, { kind: 'add', ids: ['u3'] }],
      otherOperations: [],
    });
  });

  it('replaces the member list', () => {
    const operations = [{ op: 'replace', path: 'members', value: [{ value: 'u3' }, { value: 'u4' }] }];
    const parsed = parsePatchRequest(body(...operations));
    expect(applyPatch(group(), parsed, groupResourceSchema)).to.deep.equal(changed(group(), {
      members: [{ value: 'u3' }, { value: 'u4' }],
    }));
    expect(splitMemberOperations(parsed, groupResourceSchema).memberChanges).to.deep.equal([{ kind: 'replace', ids: ['u3', 'u4'] }]);
  });
});
