import { expect } from 'chai';
import type { PatchPath } from '../../../../scim/filter/ast';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parsePatchPath } from '../../../../scim/filter';
import { and, compare, CORE_USER, ENTERPRISE, expectScimError, not, or, path, present } from './helpers';

describe('parsePatchPath', () => {
  const valid: ReadonlyArray<readonly [string, PatchPath]> = [
    ['members', { path: path('members') }],
    ['userName', { path: path('userName') }],
    ['name.givenName', { path: path('name', 'givenName') }],
    ['members.$ref', { path: path('members', '$ref') }],
    ['emails[type eq "work"]', { path: path('emails'), filter: compare('type', 'eq', 'work') }],
    [
      'emails[type eq "work"].value',
      { path: path('emails'), filter: compare('type', 'eq', 'work'), subAttribute: 'value' },
    ],
    ['members[value eq "2819c223"]', { path: path('members'), filter: compare('value', 'eq', '2819c223') }],
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"].display',
      { path: path('members'), filter: compare('value', 'eq', '2819c223-7f76-453a-919d-413861904646'), subAttribute: 'display' },
    ],
    [
      'addresses[type eq "work"].locality',
      { path: path('addresses'), filter: compare('type', 'eq', 'work'), subAttribute: 'locality' },
    ],
    [
      'emails[type eq "work" and value ew "@example.com"]',
      { path: path('emails'), filter: and(compare('type', 'eq', 'work'), compare('value', 'ew', '@example.com')) },
    ],
    [
      'emails[not (primary eq true) or type pr]',
      { path: path('emails'), filter: or(not(compare('primary', 'eq', true)), present('type')) },
    ],
    [`${ENTERPRISE}:manager`, { path: path('manager', undefined, ENTERPRISE) }],
    [`${ENTERPRISE}:manager.value`, { path: path('manager', 'value', ENTERPRISE) }],
    [`${ENTERPRISE}:department`, { path: path('department', undefined, ENTERPRISE) }],
    [`${CORE_USER}:name.familyName`, { path: path('name', 'familyName', CORE_USER) }],
    [
      `${CORE_USER}:emails[type eq "home"].value`,
      { path: path('emails', undefined, CORE_USER), filter: compare('type', 'eq', 'home'), subAttribute: 'value' },
    ],
    ['  name.givenName  ', { path: path('name', 'givenName') }],
    ['Name.GivenName', { path: path('Name', 'GivenName') }],
    ['emails[TYPE EQ "work"]', { path: path('emails'), filter: compare('TYPE', 'eq', 'work') }],
  ];
  for (const [text, expected] of valid) {
    it(`parses ${text}`, () => {
      expect(parsePatchPath(text)).to.deep.equal(expected);
    });
  }

  const errors: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['an empty path', '', /The path is empty: expected an attribute path at position 1/],
    ['a blank path', '  ', /empty.*position 3/],
    ['a path starting with a bracket', '[type eq "x"]', /Expected an attribute path at position 1, found "\["/],
    ['a string', '"members"', /Expected an attribute path at position 1, found the string "members"/],
    ['two words', 'members value', /Expected "\[" or end of path at position 9, found "value"/],
    ['a filter instead of a path', 'userName eq "x"', /Expected "\[" or end of path at position 10, found "eq"/],
    ['garbage after the value filter', 'emails[type eq "work"] x', /Expected "\." followed by a sub-attribute, or end of path at position 24/],
    ['a comparison after the sub-attribute', 'emails[type eq "work"].value eq "x"', /Expected end of path at position 30, found "eq"/],
    ['two sub-attributes after the filter', 'emails[type eq "work"].value.x', /Invalid sub-attribute name "value\.x" at position 24/],
    ['a dot without a name', 'emails[type eq "work"].', /Expected a sub-attribute name after "\." at position 24, found end of path/],
    ['an unclosed bracket', 'emails[type eq "work"', /Missing "\]" for the "\[" at position 7: found end of path at position 22/],
    ['an empty filter', 'emails[]', /Expected an attribute path, "not" or "\(" at position 8, found "\]"/],
    ['a bad filter', 'emails[type eqq "work"]', /Expected a comparison operator after "type" at position 13, found "eqq"/],
    ['a bare word value', 'members[value eq abc]', /Expected a value .* at position 18, found "abc"/],
    ['an unterminated string', 'members[value eq "abc]', /Unterminated string starting at position 18/],
    ['nested brackets', 'emails[type[value pr] pr]', /Value filters cannot be nested/],
    ['a sub-attribute before the filter', 'name.givenName[value pr]', /must follow a multi-valued attribute/],
    ['a trailing dot', 'name.', /Expected an attribute name at position 6/],
    ['three levels', 'name.givenName.x', /Unexpected "\." at position 15/],
    ['an invalid attribute name', '9lives', /Invalid attribute name "9lives" at position 1/],
    ['a trailing colon', `${ENTERPRISE}:`, /Expected an attribute name at position 60/],
    ['a closing parenthesis', 'members)', /Expected "\[" or end of path at position 8, found "\)"/],
  ];
  for (const [title, text, detail] of errors) {
    it(`rejects ${title} as invalidPath: ${JSON.stringify(text)}`, () => {
      const error = expectScimError(() => parsePatchPath(text), 'invalidPath');
      expect(error.detail).to.match(detail);
    });
  }

  it(`rejects a path longer than ${MAX_FILTER_LENGTH} characters`, () => {
    const error = expectScimError(() => parsePatchPath(`a${'b'.repeat(MAX_FILTER_LENGTH)}`), 'invalidPath');
    expect(error.detail).to.match(/The path is 4097 characters long/);
  });

  it('applies the nesting limit inside the value filter', () => {
    const deep = `emails[${'('.repeat(MAX_FILTER_DEPTH)}type pr${')'.repeat(MAX_FILTER_DEPTH)}]`;
    const error = expectScimError(() => parsePatchPath(deep), 'invalidPath');
    expect(error.detail).to.match(/nested more than 32 levels/);
  });
});
