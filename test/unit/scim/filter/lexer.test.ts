import { expect } from 'chai';
import { invalidFilter } from '../../../../scim/errors';
import { tokenize, type Token } from '../../../../scim/filter/lexer';
import { expectScimError } from './helpers';

const kinds = (tokens: Token[]): string[] => tokens.map((t) => t.kind);

describe('tokenize', () => {
  it('splits words, strings and punctuation with 1-based positions', () => {
    const tokens = tokenize('emails[type eq "work"].value', invalidFilter);
    expect(tokens.map((t) => [t.kind, t.text, t.position])).to.deep.equal([
      ['word', 'emails', 1],
      ['lbracket', '[', 7],
      ['word', 'type', 8],
      ['word', 'eq', 13],
      ['string', '"work"', 16],
      ['rbracket', ']', 22],
      ['word', '.value', 23],
      ['end', '', 29],
    ]);
  });

  it('always ends with an end token positioned after the text', () => {
    expect(tokenize('', invalidFilter)).to.deep.equal([{ kind: 'end', text: '', position: 1 }]);
    expect(tokenize('  \t\r\n', invalidFilter)).to.deep.equal([{ kind: 'end', text: '', position: 6 }]);
  });

  it('keeps a URN-qualified path as one word', () => {
    const text = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value';
    expect(tokenize(`${text} pr`, invalidFilter).map((t) => t.text)).to.deep.equal([text, 'pr', '']);
  });

  it('does not need whitespace around parentheses and strings', () => {
    expect(kinds(tokenize('not(a eq"x")', invalidFilter))).to.deep.equal([
      'word', 'lparen', 'word', 'word', 'string', 'rparen', 'end',
    ]);
  });

  const strings: ReadonlyArray<readonly [string, string]> = [
    ['"plain"', 'plain'],
    ['""', ''],
    ['"a\\"b"', 'a"b'],
    ['"a\\\\b"', 'a\\b'],
    ['"a\\/b"', 'a/b'],
    ['"\\b\\f\\n\\r\\t"', '\b\f\n\r\t'],
    ['"\\u0041\\u00e9\\u00E9"', 'Aéé'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"O\'Malley"', "O'Malley"],
    ['"a(b)[c] and or"', 'a(b)[c] and or'],
    ['"ünïcödé 😀"', 'ünïcödé 😀'],
  ];
  for (const [source, value] of strings) {
    it(`decodes the JSON string ${source}`, () => {
      const [token] = tokenize(source, invalidFilter);
      expect(token?.kind).to.equal('string');
      expect(token?.value).to.equal(value);
      expect(token?.text).to.equal(source);
    });
  }

  const errors: ReadonlyArray<readonly [string, RegExp]> = [
    ['a eq "abc', /Unterminated string starting at position 6/],
    ['a eq "abc\\', /Unterminated string starting at position 6/],
    ['a eq "\\x"', /Invalid escape "\\x" in string at position 7/],
    ['a eq "\\u12"', /Invalid escape "\\u12"" in string at position 7/],
    ['a eq "\\u12G4"', /Invalid escape "\\u12G4" in string at position 7/],
    ['a eq "line\nbreak"', /Unescaped control character U\+000A in string at position 11/],
  ];
  for (const [source, detail] of errors) {
    it(`rejects ${JSON.stringify(source)} naming the position`, () => {
      const error = expectScimError(() => tokenize(source, invalidFilter), 'invalidFilter');
      expect(error.detail).to.match(detail);
    });
  }
});
