import { expect } from 'chai';
import type { ScimType } from '../../../../scim/errors';
import type { ScimObject } from '../../../../scim/schema';
import { BJENSEN_ID, changed, expectScimError, group, MANDY_ID, patch, ROLE } from './helpers';

const babs = { value: BJENSEN_ID, display: 'Babs Jensen', type: 'User' };
const mandy = { value: MANDY_ID, display: 'Mandy Pepperidge', type: 'User' };

describe('applyPatch on a Group (a role)', () => {
  const cases: { name: string; operations: unknown[]; changes: ScimObject }[] = [
    {
      name: 'replace of displayName renames the group',
      operations: [{ op: 'replace', path: 'displayName', value: 'Tour Leaders' }],
      changes: { displayName: 'Tour Leaders' },
    },
    {
      name: 'add of members appends them, without the readOnly display a client sends',
      operations: [{ op: 'add', path: 'members', value: [{ value: 'u3', display: 'Client Display', type: 'User' }] }],
      changes: { members: [babs, mandy, { value: 'u3', type: 'User' }] },
    },
    {
      name: 'add of a member already present changes nothing',
      operations: [{ op: 'add', path: 'members', value: [{ value: MANDY_ID }] }],
      changes: {},
    },
    {
      name: 'remove of members[value eq "id"] removes that member only',
      operations: [{ op: 'remove', path: `members[value eq "${MANDY_ID}"]` }],
      changes: { members: [babs] },
    },
    {
      name: 'remove of members with "or"-joined value comparisons removes each of them',
      operations: [{ op: 'remove', path: `members[value eq "${MANDY_ID}" or value eq "${BJENSEN_ID}"]` }],
      changes: { members: undefined },
    },
    {
      name: 'remove of members with a value list removes only the listed members',
      operations: [{ op: 'remove', path: 'members', value: [{ value: BJENSEN_ID }, { value: 'not-a-member' }] }],
      changes: { members: [mandy] },
    },
    {
      name: 'remove of members without value removes every member',
      operations: [{ op: 'remove', path: 'members' }],
      changes: { members: undefined },
    },
    {
      name: 'replace of members replaces the member list',
      operations: [{ op: 'replace', path: 'members', value: [{ value: 'u3' }, { value: MANDY_ID }] }],
      changes: { members: [{ value: 'u3' }, { value: MANDY_ID }] },
    },
    {
      name: 'remove of a member that is not there changes nothing',
      operations: [{ op: 'remove', path: 'members[value eq "nobody"]' }],
      changes: {},
    },
    {
      name: 'a readOnly role extension attribute given unchanged without path is ignored',
      operations: [{ op: 'replace', value: { [`${ROLE}:risk`]: 'normal', displayName: 'Guides' } }],
      changes: { displayName: 'Guides' },
    },
  ];
  for (const { name, operations, changes } of cases) {
    it(name, () => {
      expect(patch('group', operations)).to.deep.equal(changed(group(), changes));
    });
  }

  it('keeps id, meta, the readOnly role extension and the members\' display after a change', () => {
    const result = patch('group', [{ op: 'replace', path: 'displayName', value: 'Guides' }]);
    expect(result).to.deep.include({ id: group().id, meta: group().meta, [ROLE]: group()[ROLE], members: [babs, mandy] });
    expect(result.schemas).to.deep.equal(group().schemas);
  });

  const errors: { name: string; operations: unknown[]; scimType: ScimType; detail: string[] }[] = [
    { name: 'a remove of the required displayName', operations: [{ op: 'remove', path: 'displayName' }], scimType: 'invalidValue', detail: ['displayName', 'required'] },
    {
      name: 'a change of the immutable value of a member',
      operations: [{ op: 'replace', path: `members[value eq "${MANDY_ID}"].value`, value: 'u9' }],
      scimType: 'mutability',
      detail: ['members.value', 'immutable'],
    },
    {
      name: 'a replace of a member through a filter by another member',
      operations: [{ op: 'replace', path: `members[value eq "${MANDY_ID}"]`, value: { value: 'u9' } }],
      scimType: 'mutability',
      detail: ['members.value'],
    },
    {
      name: 'a remove of the required value of a member',
      operations: [{ op: 'remove', path: `members[value eq "${MANDY_ID}"].value` }],
      scimType: 'invalidValue',
      detail: ['members.value', 'required'],
    },
    {
      name: 'a path to a readOnly role extension attribute',
      operations: [{ op: 'replace', path: `${ROLE}:risk`, value: 'high' }],
      scimType: 'mutability',
      detail: [`${ROLE}:risk`, 'readOnly'],
    },
    {
      name: 'a changed readOnly role extension attribute without path',
      operations: [{ op: 'replace', value: { [ROLE]: { risk: 'high' } } }],
      scimType: 'mutability',
      detail: [`${ROLE}:risk`],
    },
    { name: 'a path to a member\'s readOnly display', operations: [{ op: 'replace', path: 'members[value eq "x"].display', value: 'y' }], scimType: 'mutability', detail: ['members.display'] },
    { name: 'a member without value', operations: [{ op: 'add', path: 'members', value: [{ type: 'User' }] }], scimType: 'invalidValue', detail: ['members.value'] },
    { name: 'a User attribute on a Group', operations: [{ op: 'replace', path: 'userName', value: 'x' }], scimType: 'invalidPath', detail: ['userName'] },
  ];
  for (const { name, operations, scimType, detail } of errors) {
    it(`rejects ${name} with 400 ${scimType}`, () => {
      expectScimError(() => patch('group', operations), 400, scimType, ...detail);
    });
  }
});
