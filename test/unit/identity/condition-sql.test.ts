import { expect } from 'chai';
import { DomainError } from '../../../src/errors';
import { SqlConditionBuilder } from '../../../src/identity/condition-sql';
import type { Condition } from '../../../src/identity/query';
import { USER_FIELDS } from '../../../src/identity/user-fields';

const render = (condition: Condition) => {
  const builder = new SqlConditionBuilder(USER_FIELDS);
  return { sql: builder.render(condition), params: builder.params };
};
const compare = (field: string, op: 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le', value: string | number | boolean | null): Condition =>
  ({ kind: 'compare', field, op, value });

describe('SqlConditionBuilder', () => {
  describe('#render()', () => {
    it('compares a case-insensitive key column with the lower-cased value', () => {
      expect(render(compare('userName', 'eq', 'Bob@Example.COM'))).to.deep.equal({
        sql: 'u.user_name_key = :f0', params: { f0: 'bob@example.com' },
      });
    });

    it('compares a case-exact column as given', () => {
      expect(render(compare('externalId', 'eq', 'AbC'))).to.deep.equal({ sql: 'u.external_id = :f0', params: { f0: 'AbC' } });
    });

    it('folds a case-insensitive column that is not a key with LOWER()', () => {
      expect(render(compare('displayName', 'sw', 'Bo')).sql).to.equal("LOWER(u.display_name) LIKE :f0 ESCAPE '!'");
    });

    it('escapes LIKE wildcards in co, sw and ew', () => {
      expect(render(compare('title', 'co', '50_off')).params.f0).to.equal('%50!_off%');
      expect(render(compare('title', 'sw', '100%')).params.f0).to.equal('100!%%');
      expect(render(compare('title', 'ew', 'a!b')).params.f0).to.equal('%a!!b');
    });

    it('makes ne include rows where the attribute is absent', () => {
      expect(render(compare('title', 'ne', 'x')).sql).to.equal('(LOWER(u.title) IS NULL OR LOWER(u.title) <> :f0)');
    });

    it('turns pr on a string into not null and not empty', () => {
      expect(render({ kind: 'present', field: 'title' }).sql).to.equal("(u.title IS NOT NULL AND u.title <> '')");
    });

    it('binds booleans as 1 and 0', () => {
      expect(render(compare('active', 'eq', false))).to.deep.equal({ sql: 'u.active = :f0', params: { f0: 0 } });
    });

    it('normalises dateTime operands to ISO 8601 UTC', () => {
      expect(render(compare('meta.created', 'gt', '2024-05-01T02:00:00+02:00')).params.f0).to.equal('2024-05-01T00:00:00.000Z');
    });

    it('renders a multi-valued sub-attribute as an EXISTS over user_values', () => {
      const { sql, params } = render(compare('emails.value', 'eq', 'A@B.c'));
      expect(sql).to.equal("EXISTS (SELECT 1 FROM user_values v WHERE v.user_id = u.id AND v.attribute = 'emails' AND v.value_key = :f0)");
      expect(params).to.deep.equal({ f0: 'a@b.c' });
    });

    it('keeps both conditions of a value filter on the same value row', () => {
      const { sql } = render({
        kind: 'any', field: 'emails',
        where: { kind: 'and', left: compare('type', 'eq', 'work'), right: compare('value', 'ew', '@x.org') },
      });
      expect(sql).to.equal("EXISTS (SELECT 1 FROM user_values v WHERE v.user_id = u.id AND v.attribute = 'emails' AND "
        + "(LOWER(v.type) = :f0 AND v.value_key LIKE :f1 ESCAPE '!'))");
    });

    it('nests and, or and not with parentheses', () => {
      const { sql } = render({
        kind: 'or',
        left: { kind: 'not', condition: compare('title', 'eq', 'a') },
        right: { kind: 'and', left: compare('userName', 'eq', 'b'), right: { kind: 'present', field: 'externalId' } },
      });
      expect(sql).to.equal("((NOT LOWER(u.title) = :f0) OR (u.user_name_key = :f1 AND (u.external_id IS NOT NULL AND u.external_id <> '')))");
    });

    it('answers pr on a complex attribute from the profile JSON', () => {
      expect(render({ kind: 'present', field: 'addresses' }).sql).to.equal("u.profile LIKE '%\"addresses\":[%'");
    });

    const rejected: [string, Condition][] = [
      ['a comparison on an attribute that only answers pr', compare('addresses', 'eq', 'x')],
      ['an attribute that is not filterable', compare('photos.value', 'eq', 'x')],
      ['a number compared with a string attribute', compare('userName', 'eq', 5)],
      ['gt on a boolean', compare('active', 'gt', true)],
      ['a string compared with a boolean attribute', compare('active', 'eq', 'yes')],
      ['a dateTime that does not parse', compare('meta.created', 'gt', 'yesterday')],
      ['co with null', compare('title', 'co', null)],
      ['a value filter inside a value filter', { kind: 'any', field: 'emails', where: { kind: 'any', field: 'emails', where: compare('value', 'eq', 'x') } }],
    ];
    for (const [name, condition] of rejected) {
      it(`rejects ${name} with an invalid domain error`, () => {
        expect(() => render(condition)).to.throw(DomainError).with.property('kind', 'invalid');
      });
    }
  });
});
