import { expect } from 'chai';
import { ScimError } from '../../../../scim/errors';
import { parseFilter } from '../../../../scim/filter';
import { toCondition } from '../../../../scim/query/filter-to-condition';
import { parseListParameters } from '../../../../scim/query/list-parameters';
import { groupResourceSchema, userResourceSchema } from '../../../../scim/schema';

const userCondition = (filter: string) => toCondition(parseFilter(filter), userResourceSchema);

describe('toCondition()', () => {
  it('renames attributes to their canonical spelling, case-insensitively', () => {
    expect(userCondition('USERNAME eq "a"')).to.deep.equal({ kind: 'compare', field: 'userName', op: 'eq', value: 'a' });
    expect(userCondition('name.FAMILYNAME pr')).to.deep.equal({ kind: 'present', field: 'name.familyName' });
  });

  it('maps URN-qualified core and enterprise attributes to domain fields', () => {
    expect(userCondition('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"'))
      .to.deep.include({ field: 'userName' });
    expect(userCondition('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"'))
      .to.deep.include({ field: 'enterprise.department' });
    expect(userCondition('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"'))
      .to.deep.include({ field: 'enterprise.manager.value' });
  });

  it('turns a value path into an any-condition over sub-attributes', () => {
    expect(userCondition('emails[TYPE eq "work" and value co "@x"]')).to.deep.equal({
      kind: 'any', field: 'emails', where: {
        kind: 'and',
        left: { kind: 'compare', field: 'type', op: 'eq', value: 'work' },
        right: { kind: 'compare', field: 'value', op: 'co', value: '@x' },
      },
    });
  });

  it('resolves Group attributes, members included', () => {
    expect(toCondition(parseFilter('members.value eq "u1"'), groupResourceSchema))
      .to.deep.equal({ kind: 'compare', field: 'members.value', op: 'eq', value: 'u1' });
  });

  for (const [filter, fragment] of [
    ['nickname2 eq "x"', 'Unknown attribute "nickname2"'],
    ['emails[kind eq "work"]', '"kind" is not a sub-attribute of "emails"'],
  ] as const) {
    it(`rejects ${filter} with invalidFilter`, () => {
      expect(() => userCondition(filter)).to.throw(ScimError, fragment).with.property('scimType', 'invalidFilter');
    });
  }
});

describe('parseListParameters()', () => {
  it('defaults to the first 100 and caps count at 1000', () => {
    expect(parseListParameters({}, userResourceSchema)).to.deep.include({ startIndex: 1, count: 100 });
    expect(parseListParameters({ count: '5000' }, userResourceSchema).count).to.equal(1000);
  });

  it('reads a negative count as 0 and a startIndex below 1 as 1 (RFC 7644 §3.4.2.4)', () => {
    expect(parseListParameters({ count: '-3', startIndex: '0' }, userResourceSchema)).to.deep.include({ startIndex: 1, count: 0 });
  });

  it('refuses non-integers and unknown sort orders with invalidValue', () => {
    for (const query of [{ count: 'ten' }, { startIndex: '1.5' }, { sortOrder: 'upwards' }, { sortBy: 'nope' }]) {
      expect(() => parseListParameters(query, userResourceSchema), JSON.stringify(query))
        .to.throw(ScimError).with.property('scimType', 'invalidValue');
    }
  });

  it('resolves sortBy to a domain field', () => {
    expect(parseListParameters({ sortBy: 'NAME.givenName', sortOrder: 'Descending' }, userResourceSchema))
      .to.deep.include({ sortBy: 'name.givenName', sortOrder: 'descending' });
  });
});
