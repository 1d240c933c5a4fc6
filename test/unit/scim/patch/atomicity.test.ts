import { expect } from 'chai';
import type { ScimType } from '../../../../scim/errors';
import { applyPatch, parsePatchRequest } from '../../../../scim/patch';
import { groupResourceSchema, userResourceSchema } from '../../../../scim/schema';
import { body, deepFreeze, expectScimError, group, user } from './helpers';

describe('applyPatch atomicity', () => {
  it('returns a new object and leaves the input (even deeply frozen) untouched', () => {
    const input = deepFreeze(user());
    const result = applyPatch(input, parsePatchRequest(body(
      { op: 'add', path: 'emails', value: [{ value: 'x@example.com' }] },
      { op: 'replace', path: 'name.givenName', value: 'Barb' },
      { op: 'remove', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager' },
    )), userResourceSchema);
    expect(result).not.to.equal(input);
    expect(input).to.deep.equal(user());
    expect(result.emails).to.have.length(3);
  });

  it('shares no nested object with the input', () => {
    const input = group();
    const result = applyPatch(input, parsePatchRequest(body({ op: 'replace', path: 'displayName', value: 'X' })), groupResourceSchema);
    (result.members as { value: string }[])[0]!.value = 'changed';
    (result.meta as { version: string }).version = 'changed';
    expect(input).to.deep.equal(group());
  });

  const failures: { name: string; third: unknown; scimType: ScimType }[] = [
    { name: 'an unknown attribute', third: { op: 'add', path: 'shoeSize', value: 42 }, scimType: 'invalidPath' },
    { name: 'a readOnly attribute', third: { op: 'replace', path: 'id', value: 'x' }, scimType: 'mutability' },
    {
      name: 'a replace filter matching nothing',
      third: { op: 'replace', path: 'emails[type eq "pager"].value', value: 'x' },
      scimType: 'noTarget',
    },
    { name: 'a required attribute removed', third: { op: 'remove', path: 'userName' }, scimType: 'invalidValue' },
  ];
  for (const { name, third, scimType } of failures) {
    it(`throws when the 3rd operation fails (${name}) and the input keeps the changes of none of them`, () => {
      const input = user();
      const operations = parsePatchRequest(body(
        { op: 'replace', path: 'title', value: 'changed by op 1' },
        { op: 'remove', path: 'emails[type eq "home"]' },
        third,
      ));
      const error = expectScimError(() => applyPatch(input, operations, userResourceSchema), 400, scimType);
      expect(error.detail).to.match(/^Operations\[2\]: /);
      expect(input).to.deep.equal(user());
    });
  }

  it('does not mutate a frozen input when the final normalization fails', () => {
    const input = deepFreeze(group());
    expectScimError(
      () => applyPatch(input, parsePatchRequest(body({ op: 'add', path: 'members', value: [{ type: 'User' }] })), groupResourceSchema),
      400,
      'invalidValue',
    );
    expect(input).to.deep.equal(group());
  });
});
