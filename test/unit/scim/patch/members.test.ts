import { expect } from 'chai';
import type { ScimType } from '../../../../scim/errors';
import { type MemberChange, parsePatchRequest, type PatchOperation, splitMemberOperations } from '../../../../scim/patch';
import { GROUP_SCHEMA_URN, groupResourceSchema, userResourceSchema } from '../../../../scim/schema';
import { body, expectScimError } from './helpers';

const split = (...operations: unknown[]): { memberChanges: MemberChange[]; otherOperations: PatchOperation[] } =>
  splitMemberOperations(parsePatchRequest(body(...operations)), groupResourceSchema);

describe('splitMemberOperations (members changed without reading the member list)', () => {
  const recognised: { name: string; operations: unknown[]; changes: MemberChange[] }[] = [
    {
      name: 'add with path members and a value list is an add of those ids',
      operations: [{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b', display: 'B' }] }],
      changes: [{ kind: 'add', ids: ['a', 'b'] }],
    },
    {
      name: 'add with path members and a single member object is an add of its id',
      operations: [{ op: 'Add', path: 'Members', value: { value: 'a' } }],
      changes: [{ kind: 'add', ids: ['a'] }],
    },
    {
      name: 'add without path with a members key is an add',
      operations: [{ op: 'add', value: { members: [{ value: 'a' }] } }],
      changes: [{ kind: 'add', ids: ['a'] }],
    },
    {
      name: 'remove of members[value eq "id"] is a remove of that id',
      operations: [{ op: 'remove', path: 'members[value eq "a"]' }],
      changes: [{ kind: 'remove', ids: ['a'] }],
    },
    {
      name: 'remove of "or"-joined value comparisons is a remove of every id',
      operations: [{ op: 'remove', path: 'members[value eq "a" or value eq "b" or VALUE eq "c"]' }],
      changes: [{ kind: 'remove', ids: ['a', 'b', 'c'] }],
    },
    {
      name: 'remove of members with a value list (Microsoft Entra ID) is a remove of those ids',
      operations: [{ op: 'Remove', path: 'members', value: [{ value: 'a' }, { value: 'b' }] }],
      changes: [{ kind: 'remove', ids: ['a', 'b'] }],
    },
    {
      name: 'remove of members without value is a removeAll',
      operations: [{ op: 'remove', path: 'members' }],
      changes: [{ kind: 'removeAll' }],
    },
    {
      name: 'replace of members with a path is a replace',
      operations: [{ op: 'replace', path: 'members', value: [{ value: 'a' }] }],
      changes: [{ kind: 'replace', ids: ['a'] }],
    },
    {
      name: 'replace of members with an empty list is a replace by no ids',
      operations: [{ op: 'replace', path: 'members', value: [] }],
      changes: [{ kind: 'replace', ids: [] }],
    },
    {
      name: 'replace without path with a members key is a replace',
      operations: [{ op: 'replace', value: { MEMBERS: [{ value: 'a' }, { value: 'b' }] } }],
      changes: [{ kind: 'replace', ids: ['a', 'b'] }],
    },
    {
      name: 'a URN-qualified members path is recognised',
      operations: [{ op: 'add', path: `${GROUP_SCHEMA_URN}:members`, value: [{ value: 'a' }] }],
      changes: [{ kind: 'add', ids: ['a'] }],
    },
    {
      name: 'repeated ids are given once',
      operations: [{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'a' }] }],
      changes: [{ kind: 'add', ids: ['a'] }],
    },
    {
      name: 'the changes follow the order of the operations',
      operations: [
        { op: 'remove', path: 'members' },
        { op: 'add', path: 'members', value: [{ value: 'a' }] },
        { op: 'remove', path: 'members[value eq "a"]' },
        { op: 'replace', value: { members: [{ value: 'b' }] } },
      ],
      changes: [{ kind: 'removeAll' }, { kind: 'add', ids: ['a'] }, { kind: 'remove', ids: ['a'] }, { kind: 'replace', ids: ['b'] }],
    },
  ];
  for (const { name, operations, changes } of recognised) {
    it(name, () => {
      expect(split(...operations)).to.deep.equal({ memberChanges: changes, otherOperations: [] });
    });
  }

  it('passes the operations on other attributes through unchanged', () => {
    const operations = parsePatchRequest(body(
      { op: 'replace', path: 'displayName', value: 'X' },
      { op: 'add', path: 'members', value: [{ value: 'a' }] },
      { op: 'replace', value: { displayName: 'Y' } },
    ));
    expect(splitMemberOperations(operations, groupResourceSchema)).to.deep.equal({
      memberChanges: [{ kind: 'add', ids: ['a'] }],
      otherOperations: [operations[0], operations[2]],
    });
  });

  it('splits a value without path into the members change and an operation with the other keys', () => {
    expect(split({ op: 'add', value: { displayName: 'X', members: [{ value: 'a' }] } })).to.deep.equal({
      memberChanges: [{ kind: 'add', ids: ['a'] }],
      otherOperations: [{ op: 'add', value: { displayName: 'X' } }],
    });
  });

  it('takes a null members key of a replace without path as a replace by no ids', () => {
    expect(split({ op: 'replace', value: { members: null } }).memberChanges).to.deep.equal([{ kind: 'replace', ids: [] }]);
  });

  it('leaves every operation alone for a resource type without members', () => {
    const operations = parsePatchRequest(body({ op: 'replace', path: 'title', value: 'x' }, { op: 'replace', value: { active: false } }));
    expect(splitMemberOperations(operations, userResourceSchema)).to.deep.equal({ memberChanges: [], otherOperations: operations });
  });

  const unsupported: { name: string; operation: unknown; scimType: ScimType }[] = [
    { name: 'a remove through a filter on display', operation: { op: 'remove', path: 'members[display eq "Babs"]' }, scimType: 'invalidPath' },
    { name: 'a remove through a filter with "and"', operation: { op: 'remove', path: 'members[value eq "a" and type eq "User"]' }, scimType: 'invalidPath' },
    { name: 'a remove through a filter with "ne"', operation: { op: 'remove', path: 'members[value ne "a"]' }, scimType: 'invalidPath' },
    { name: 'an add through a value filter', operation: { op: 'add', path: 'members[value eq "a"]', value: { value: 'a' } }, scimType: 'invalidPath' },
    { name: 'a replace of a sub-attribute of filtered members', operation: { op: 'replace', path: 'members[value eq "a"].type', value: 'User' }, scimType: 'invalidPath' },
    { name: 'a remove of a sub-attribute after a filter', operation: { op: 'remove', path: 'members[value eq "a"].type' }, scimType: 'invalidPath' },
    { name: 'a path to members.value', operation: { op: 'remove', path: 'members.value' }, scimType: 'invalidPath' },
    { name: 'a members.value key without path', operation: { op: 'add', value: { 'members.value': 'a' } }, scimType: 'invalidPath' },
    { name: 'a member without value', operation: { op: 'add', path: 'members', value: [{ display: 'Babs' }] }, scimType: 'invalidValue' },
    { name: 'a member given as a bare string', operation: { op: 'add', path: 'members', value: ['a'] }, scimType: 'invalidValue' },
    { name: 'a member with an empty value', operation: { op: 'remove', path: 'members', value: [{ value: '' }] }, scimType: 'invalidValue' },
  ];
  for (const { name, operation, scimType } of unsupported) {
    it(`rejects ${name} with 400 ${scimType}`, () => {
      const error = expectScimError(() => split(operation), 400, scimType);
      if (scimType === 'invalidPath') expect(error.detail).to.include('supported forms are');
    });
  }
});
