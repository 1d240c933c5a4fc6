import { expect } from 'chai';
import { invalidFilter, ScimError } from '../../../../scim/errors';
import {
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  MAX_FILTER_TERMS,
  parseFilter,
} from '../../../../scim/filter';
import { tokenize } from '../../../../scim/filter/lexer';
import { compare, countTokenReads, expectBoundedWork, expectScimError, not, or, present } from './helpers';

type ErrorCase = readonly [title: string, text: string, detail: RegExp];

function errorTable(cases: readonly ErrorCase[]): void {
  for (const [title, text, detail] of cases) {
    it(`rejects ${title}: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`, () => {
      const error = expectScimError(() => parseFilter(text), 'invalidFilter');
      expect(error.detail).to.match(detail);
    });
  }
}

describe('parseFilter errors', () => {
  describe('syntax', () => {
    errorTable([
      ['an empty filter', '', /empty.*position 1/],
      ['a blank filter', '   ', /empty.*position 4/],
      ['an unknown operator', 'userName eqq "x"', /^Expected a comparison operator after "userName" at position 10, found "eqq"$/],
      ['a missing operator', 'userName', /Expected a comparison operator after "userName" at position 9, found end of filter/],
      ['a string where the operator goes', 'userName "x"', /comparison operator after "userName" at position 10, found the string "x"/],
      ['a missing value', 'userName eq', /Expected a value .* after "eq" at position 12, found end of filter/],
      ['a missing value before and', 'userName eq and title pr', /Expected a value .* at position 13, found "and"/],
      ['a bare word as value', 'userName eq foo', /Expected a value .* at position 13, found "foo" \(strings must be in double quotes\)/],
      ['a single-quoted value', "userName eq 'x'", /Expected a value .* at position 13, found "'x'"/],
      ['a number with a leading plus', 'a eq +1', /Expected a value .* at position 6, found "\+1"/],
      ['a number with a leading zero', 'a eq 01', /Expected a value .* at position 6, found "01"/],
      ['a number with a trailing dot', 'a eq 1.', /Expected a value .* at position 6/],
      ['a number out of range', 'a eq 1e999', /Number 1e999 at position 6 is out of range/],
      ['pr with a value', 'title pr "x"', /"pr" operator takes no value, found the string "x" at position 10/],
      ['pr with a literal', 'title pr true', /"pr" operator takes no value, found "true" at position 10/],
      ['co with a number', 'a co 5', /"co" operator needs a string value at position 6/],
      ['sw with null', 'a sw null', /"sw" operator needs a string value at position 6/],
      ['gt with a boolean', 'a gt true', /"gt" operator needs a string or number value at position 6/],
      ['le with null', 'a le null', /"le" operator needs a string or number value at position 6/],
      ['trailing garbage', 'userName eq "x" foo', /Expected "and", "or" or end of filter at position 17, found "foo"/],
      ['a trailing value', 'userName eq "x" "y"', /Expected "and", "or" or end of filter at position 17, found the string "y"/],
      ['a dangling and', 'userName eq "x" and', /Expected an attribute path, "not" or "\(" at position 20, found end of filter/],
      ['a doubled logical operator', 'a pr and or b pr', /Expected an attribute path, "not" or "\(" at position 10, found "or"/],
      ['a leading logical operator', 'and a pr', /Expected an attribute path, "not" or "\(" at position 1, found "and"/],
      ['not without parentheses', 'not userName eq "x"', /Expected "\(" after "not" at position 5, found "userName"/],
      ['a bare not', 'not', /Expected "\(" after "not" at position 4, found end of filter/],
      ['an unclosed parenthesis', '(userName eq "x"', /Missing "\)" for the "\(" at position 1: found end of filter at position 17/],
      ['an unclosed inner parenthesis', '(a pr and (b pr)', /Missing "\)" for the "\(" at position 1/],
      ['an extra closing parenthesis', 'userName eq "x")', /Unbalanced "\)" at position 16/],
      ['a lone closing parenthesis', ')', /Expected an attribute path, "not" or "\(" at position 1, found "\)"/],
      ['empty parentheses', '()', /Expected an attribute path, "not" or "\(" at position 2, found "\)"/],
      ['a bracket closing a parenthesis', '(a pr]', /Expected "and", "or" or "\)" at position 6, found "\]"/],
      ['garbage inside parentheses', '(a pr b)', /Expected "and", "or" or "\)" at position 7, found "b"/],
      ['an unclosed bracket', 'emails[type eq "work"', /Missing "\]" for the "\[" at position 7: found end of filter at position 22/],
      ['an extra closing bracket', 'a pr]', /Unbalanced "\]" at position 5/],
      ['an empty value filter', 'emails[]', /Expected an attribute path, "not" or "\(" at position 8, found "\]"/],
      ['a parenthesis closing a bracket', 'emails[type pr)', /Expected "and", "or" or "\]" at position 15, found "\)"/],
      ['nested value paths', 'emails[type[value eq "x"] eq "y"]', /Value filters cannot be nested: "\[" at position 12 is inside the "\[" at position 7/],
      ['a URN path inside brackets', `emails[urn:x:y:type eq "w"]`, /relative .* at position 8/],
      ['a sub-attribute inside brackets', 'emails[type.x eq "w"]', /relative .* at position 8/],
      ['a value filter on a sub-attribute', 'name.familyName[value pr]', /must follow a multi-valued attribute.*position 16/],
      ['a value path without a condition after the sub-attribute', 'emails[type eq "work"].value', /comparison operator after ".value" at position 29, found end of filter/],
      ['a dot without a sub-attribute', 'emails[type eq "work"]. eq "x"', /Expected a sub-attribute name after "." at position 24/],
      ['a bad sub-attribute after a value path', 'emails[type eq "work"].9x eq "x"', /Invalid sub-attribute name "9x" at position 24/],
      ['an unterminated string', 'userName eq "bjensen', /Unterminated string starting at position 13/],
      ['a bad escape', 'userName eq "a\\qb"', /Invalid escape "\\q" in string at position 15/],
      ['a short unicode escape', 'userName eq "\\u00"', /Invalid escape "\\u00"" in string at position 14/],
      ['an attribute starting with a digit', '1abc eq "x"', /Invalid attribute name "1abc" at position 1/],
      ['an attribute with a bad character', 'user*Name eq "x"', /Invalid attribute name "user\*Name" at position 1/],
      ['a trailing dot', 'name. eq "x"', /Expected an attribute name at position 6 in "name\."/],
      ['a leading dot', '.name eq "x"', /Expected an attribute name at position 1/],
      ['two sub-attribute levels', 'a.b.c eq "x"', /Unexpected "\." at position 4 in "a\.b\.c"/],
      ['a URN without an attribute', `${'urn:ietf:params:scim:schemas:core:2.0:User:'} eq "x"`, /Expected an attribute name at position 44/],
      ['an empty URI', ':userName eq "x"', /Invalid schema URI "" .* at position 1/],
      ['a URI without a scheme', 'urn:userName eq "x"', /Invalid schema URI "urn" .* at position 1/],
      ['a bad sub-attribute', `name.given-Name! eq "x"`, /Invalid attribute name "given-Name!" at position 6/],
    ]);
  });

  describe('limits', () => {
    it('exports the limits', () => {
      expect(MAX_FILTER_LENGTH).to.equal(4096);
      expect(MAX_FILTER_DEPTH).to.equal(32);
      expect(MAX_FILTER_TERMS).to.equal(200);
    });

    it(`accepts a filter of exactly ${MAX_FILTER_LENGTH} characters`, () => {
      const prefix = 'userName eq "';
      const text = `${prefix}${'x'.repeat(MAX_FILTER_LENGTH - prefix.length - 1)}"`;
      expect(text).to.have.length(MAX_FILTER_LENGTH);
      expect(parseFilter(text)).to.have.property('kind', 'compare');
    });

    it(`rejects a filter longer than ${MAX_FILTER_LENGTH} characters`, () => {
      const text = `userName eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`;
      const error = expectScimError(() => parseFilter(text), 'invalidFilter');
      expect(error.detail).to.match(/at most 4096 .*position 4097/);
    });

    const nested = (depth: number, open: string, close: string): string =>
      `${open.repeat(depth)}userName eq "x"${close.repeat(depth)}`;

    it(`accepts ${MAX_FILTER_DEPTH} levels of parentheses`, () => {
      expect(parseFilter(nested(MAX_FILTER_DEPTH, '(', ')'))).to.deep.equal(parseFilter('userName eq "x"'));
    });

    it(`rejects ${MAX_FILTER_DEPTH + 1} levels of parentheses`, () => {
      const error = expectScimError(() => parseFilter(nested(MAX_FILTER_DEPTH + 1, '(', ')')), 'invalidFilter');
      expect(error.detail).to.match(/nested more than 32 levels deep at position 33/);
    });

    it(`accepts ${MAX_FILTER_DEPTH} levels of not`, () => {
      expect(() => parseFilter(nested(MAX_FILTER_DEPTH, 'not (', ')'))).not.to.throw();
    });

    it(`rejects ${MAX_FILTER_DEPTH + 1} levels of not`, () => {
      expectScimError(() => parseFilter(nested(MAX_FILTER_DEPTH + 1, 'not (', ')')), 'invalidFilter');
    });

    it('counts a value path as a level', () => {
      const inner = `emails[${'('.repeat(MAX_FILTER_DEPTH - 1)}type eq "x"${')'.repeat(MAX_FILTER_DEPTH - 1)}]`;
      expect(() => parseFilter(inner)).not.to.throw();
      const tooDeep = `(${inner})`;
      const error = expectScimError(() => parseFilter(tooDeep), 'invalidFilter');
      expect(error.detail).to.match(/nested more than 32 levels/);
    });

    it('rejects deep nesting without overflowing the stack, even far beyond the limit', () => {
      const text = '('.repeat(MAX_FILTER_LENGTH);
      const error = expectScimError(() => parseFilter(text), 'invalidFilter');
      expect(error.detail).to.match(/nested more than 32 levels deep at position 33/);
    });

    const terms = (count: number): string =>
      Array.from({ length: count }, (_, i) => `a eq ${i}`).join(' or ');

    it(`accepts ${MAX_FILTER_TERMS} comparisons`, () => {
      expect(() => parseFilter(terms(MAX_FILTER_TERMS))).not.to.throw();
    });

    it(`rejects ${MAX_FILTER_TERMS + 1} comparisons`, () => {
      const text = terms(MAX_FILTER_TERMS + 1);
      const error = expectScimError(() => parseFilter(text), 'invalidFilter');
      expect(error.detail).to.match(/more than 200 comparisons \(limit exceeded at position \d+\)/);
    });

    it('counts pr terms and terms inside value paths', () => {
      const text = Array.from({ length: 101 }, () => 'emails[type pr and value pr]').join(' or ');
      expect(text.length).to.be.below(MAX_FILTER_LENGTH);
      expectScimError(() => parseFilter(text), 'invalidFilter');
    });

    it('refuses a filter over the length limit before tokenizing it', () => {
      // Unterminated at position 1: a lexer error, had the lexer run first.
      const text = `"${'x'.repeat(MAX_FILTER_LENGTH)}`;
      const { value: error, reads } = countTokenReads(() => expectScimError(() => parseFilter(text), 'invalidFilter'));
      expect(error.detail).to.match(/at most 4096 .*position 4097/);
      expect(reads).to.equal(0);
    });

    describe('a filter at all three limits at once', () => {
      // 199 comparisons, then a present test under 32 levels of "not (": MAX_FILTER_TERMS terms at
      // MAX_FILTER_DEPTH, with the last attribute name long enough to make exactly MAX_FILTER_LENGTH.
      const head = 'a eq 1 or '.repeat(MAX_FILTER_TERMS - 1);
      const tail = (levels: number, name: string): string => `${'not ('.repeat(levels)}${name} pr${')'.repeat(levels)}`;
      const longName = 'b'.repeat(MAX_FILTER_LENGTH - head.length - tail(MAX_FILTER_DEPTH, '').length);
      const text = head + tail(MAX_FILTER_DEPTH, longName);

      it('parses to the right AST, reading each token a bounded number of times', () => {
        expect(text).to.have.length(MAX_FILTER_LENGTH);
        let expected = compare('a', 'eq', 1);
        for (let i = 1; i < MAX_FILTER_TERMS - 1; i += 1) expected = or(expected, compare('a', 'eq', 1));
        let negated = present(longName);
        for (let i = 0; i < MAX_FILTER_DEPTH; i += 1) negated = not(negated);
        const { value: ast, reads } = countTokenReads(() => parseFilter(text));
        expect(ast).to.deep.equal(or(expected, negated));
        // A complete parse reads every token, the end included.
        expect(reads).to.be.at.least(tokenize(text, invalidFilter).length);
        expectBoundedWork(text, reads);
      });

      it('is refused one step past each limit', () => {
        const longer = head + tail(MAX_FILTER_DEPTH, `${longName}b`);
        const deeper = head + tail(MAX_FILTER_DEPTH + 1, longName.slice(6));
        const moreTerms = `a pr or ${head}${tail(MAX_FILTER_DEPTH, longName.slice(8))}`;
        expect([longer.length, deeper.length, moreTerms.length]).to.deep.equal([MAX_FILTER_LENGTH + 1, MAX_FILTER_LENGTH, MAX_FILTER_LENGTH]);
        expect(expectScimError(() => parseFilter(longer), 'invalidFilter').detail).to.match(/at most 4096 are allowed/);
        expect(expectScimError(() => parseFilter(deeper), 'invalidFilter').detail).to.match(/nested more than 32 levels/);
        expect(expectScimError(() => parseFilter(moreTerms), 'invalidFilter').detail).to.match(/more than 200 comparisons/);
      });
    });
  });

  describe('robustness', () => {
    it('throws nothing but a 400 invalidFilter ScimError on random input', () => {
      const pieces = [
        'a', 'emails', 'name.familyName', 'urn:x:y:z', ' ', ' ', 'eq', 'pr', 'co', 'and', 'or', 'not', '(', ')',
        '[', ']', '"', '"x"', '\\', '\\u', '1', '-', '.', 'e', 'true', 'null', ':', '$ref', '\n', '\u0000', '😀',
      ];
      let seed = 12345;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      // Glued pieces almost never form a valid filter, so this exercises the refusals; valid and
      // mutated valid filters are the property tests' job (filter.property.test.ts).
      let refused = 0;
      for (let round = 0; round < 3000; round += 1) {
        const length = 1 + random(24);
        let text = '';
        for (let i = 0; i < length; i += 1) text += pieces[random(pieces.length)] ?? '';
        let thrown: unknown;
        try {
          parseFilter(text);
          continue;
        } catch (error) {
          thrown = error;
        }
        expect(thrown, text).to.be.instanceOf(ScimError);
        expect((thrown as ScimError).status, text).to.equal(400);
        expect((thrown as ScimError).scimType, text).to.equal('invalidFilter');
        expect((thrown as ScimError).detail, text).to.match(/position \d+/);
        refused += 1;
      }
      expect(refused, 'random inputs that were refused').to.be.above(0);
    });
  });
});
