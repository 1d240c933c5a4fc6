import { expect } from 'chai';
import type { CompareOperator, Filter } from '../../../../scim/filter/ast';
import { parseFilter } from '../../../../scim/filter';
import { and, compare, CORE_USER, ENTERPRISE, not, or, path, present, valuePath } from './helpers';

type Case = readonly [string, Filter];

function table(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const [text, expected] of cases) {
      it(`parses ${text}`, () => {
        expect(parseFilter(text)).to.deep.equal(expected);
      });
    }
  });
}

describe('parseFilter', () => {
  describe('comparison operators', () => {
    const operators: CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
    for (const op of operators) {
      it(`parses the ${op} operator`, () => {
        expect(parseFilter(`userName ${op} "bjensen"`)).to.deep.equal(compare('userName', op, 'bjensen'));
      });
      it(`parses the ${op} operator written in upper case`, () => {
        expect(parseFilter(`userName ${op.toUpperCase()} "bjensen"`)).to.deep.equal(compare('userName', op, 'bjensen'));
      });
    }

    it('parses the pr operator', () => {
      expect(parseFilter('title pr')).to.deep.equal(present('title'));
    });

    it('parses the pr operator in any case', () => {
      expect(parseFilter('title PR')).to.deep.equal(present('title'));
      expect(parseFilter('title Pr')).to.deep.equal(present('title'));
    });

    it('keeps attribute names exactly as written', () => {
      expect(parseFilter('USERNAME eq "x"')).to.deep.equal(compare('USERNAME', 'eq', 'x'));
      expect(parseFilter('Name.FamilyName eq "x"')).to.deep.equal(compare(path('Name', 'FamilyName'), 'eq', 'x'));
    });
  });

  table('logical operators and precedence', [
    ['a eq 1 and b eq 2', and(compare('a', 'eq', 1), compare('b', 'eq', 2))],
    ['a eq 1 or b eq 2', or(compare('a', 'eq', 1), compare('b', 'eq', 2))],
    ['a eq 1 or b eq 2 and c eq 3', or(compare('a', 'eq', 1), and(compare('b', 'eq', 2), compare('c', 'eq', 3)))],
    ['a eq 1 and b eq 2 or c eq 3', or(and(compare('a', 'eq', 1), compare('b', 'eq', 2)), compare('c', 'eq', 3))],
    ['(a eq 1 or b eq 2) and c eq 3', and(or(compare('a', 'eq', 1), compare('b', 'eq', 2)), compare('c', 'eq', 3))],
    ['a eq 1 and b eq 2 and c eq 3', and(and(compare('a', 'eq', 1), compare('b', 'eq', 2)), compare('c', 'eq', 3))],
    ['a eq 1 or b eq 2 or c eq 3', or(or(compare('a', 'eq', 1), compare('b', 'eq', 2)), compare('c', 'eq', 3))],
    ['a eq 1 AND b eq 2 OR c eq 3', or(and(compare('a', 'eq', 1), compare('b', 'eq', 2)), compare('c', 'eq', 3))],
    ['a eq 1 And b eq 2 oR c pr', or(and(compare('a', 'eq', 1), compare('b', 'eq', 2)), present('c'))],
    ['not (a eq 1)', not(compare('a', 'eq', 1))],
    ['NOT (a eq 1)', not(compare('a', 'eq', 1))],
    ['not(a eq 1)', not(compare('a', 'eq', 1))],
    ['not (a eq 1) and b pr', and(not(compare('a', 'eq', 1)), present('b'))],
    ['b pr and not (a eq 1 or c eq 2)', and(present('b'), not(or(compare('a', 'eq', 1), compare('c', 'eq', 2))))],
    ['not (not (a pr))', not(not(present('a')))],
    ['((a pr))', present('a')],
    ['(a pr)', present('a')],
    ['( a pr )', present('a')],
    ['(a pr)and(b pr)', and(present('a'), present('b'))],
    ['a pr or (b pr and (c pr or d pr))', or(present('a'), and(present('b'), or(present('c'), present('d'))))],
  ]);

  table('attribute paths', [
    ['name.familyName eq "Jensen"', compare(path('name', 'familyName'), 'eq', 'Jensen')],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z')],
    ['members.$ref pr', present(path('members', '$ref'))],
    ['x-custom_attr9 eq "v"', compare('x-custom_attr9', 'eq', 'v')],
    [`${CORE_USER}:userName sw "J"`, compare(path('userName', undefined, CORE_USER), 'sw', 'J')],
    [`${CORE_USER}:name.givenName eq "Barbara"`, compare(path('name', 'givenName', CORE_USER), 'eq', 'Barbara')],
    [`${ENTERPRISE}:department eq "Tour Operations"`, compare(path('department', undefined, ENTERPRISE), 'eq', 'Tour Operations')],
    [`${ENTERPRISE}:manager.value eq "26118915"`, compare(path('manager', 'value', ENTERPRISE), 'eq', '26118915')],
    [`${ENTERPRISE}:employeeNumber pr`, present(path('employeeNumber', undefined, ENTERPRISE))],
    ['urn:example:custom:1.0:Thing:flag eq true', compare(path('flag', undefined, 'urn:example:custom:1.0:Thing'), 'eq', true)],
  ]);

  table('value paths', [
    ['emails[type eq "work"]', valuePath('emails', compare('type', 'eq', 'work'))],
    [
      'emails[type eq "work" and value co "@example.com"]',
      valuePath('emails', and(compare('type', 'eq', 'work'), compare('value', 'co', '@example.com'))),
    ],
    [
      'emails[type eq "work" or primary eq true]',
      valuePath('emails', or(compare('type', 'eq', 'work'), compare('primary', 'eq', true))),
    ],
    [
      'emails[not (type eq "work") and (value pr)]',
      valuePath('emails', and(not(compare('type', 'eq', 'work')), present('value'))),
    ],
    ['members[value eq "2819c223"]', valuePath('members', compare('value', 'eq', '2819c223'))],
    [
      `${CORE_USER}:emails[type eq "work"]`,
      valuePath(path('emails', undefined, CORE_USER), compare('type', 'eq', 'work')),
    ],
    [
      'userName eq "x" and emails [type eq "work"]',
      and(compare('userName', 'eq', 'x'), valuePath('emails', compare('type', 'eq', 'work'))),
    ],
    [
      'not (emails[type eq "work"])',
      not(valuePath('emails', compare('type', 'eq', 'work'))),
    ],
  ]);

  table('the Microsoft Entra ID valuePath.subAttr form', [
    [
      'emails[type eq "work"].value eq "x@y.com"',
      valuePath('emails', and(compare('type', 'eq', 'work'), compare('value', 'eq', 'x@y.com'))),
    ],
    [
      'addresses[type eq "work"].locality EQ "Hollywood"',
      valuePath('addresses', and(compare('type', 'eq', 'work'), compare('locality', 'eq', 'Hollywood'))),
    ],
    [
      'phoneNumbers[type eq "mobile"].value pr',
      valuePath('phoneNumbers', and(compare('type', 'eq', 'mobile'), present('value'))),
    ],
    [
      'emails[type eq "work" or type eq "home"].value co "@example.com" and active eq true',
      and(
        valuePath('emails', and(or(compare('type', 'eq', 'work'), compare('type', 'eq', 'home')), compare('value', 'co', '@example.com'))),
        compare('active', 'eq', true),
      ),
    ],
  ]);

  table('literal values', [
    ['a eq "text"', compare('a', 'eq', 'text')],
    ['a eq ""', compare('a', 'eq', '')],
    ['a eq "say \\"hi\\""', compare('a', 'eq', 'say "hi"')],
    ['a eq "back\\\\slash"', compare('a', 'eq', 'back\\slash')],
    ['a eq "http:\\/\\/x"', compare('a', 'eq', 'http://x')],
    ['a eq "\\b\\f\\n\\r\\t"', compare('a', 'eq', '\b\f\n\r\t')],
    ['a eq "caf\\u00e9"', compare('a', 'eq', 'café')],
    ['a eq "a]b)c"', compare('a', 'eq', 'a]b)c')],
    ['a eq "and or not pr"', compare('a', 'eq', 'and or not pr')],
    ['a eq 0', compare('a', 'eq', 0)],
    ['a eq 42', compare('a', 'eq', 42)],
    ['a eq -7', compare('a', 'eq', -7)],
    ['a eq 3.25', compare('a', 'eq', 3.25)],
    ['a eq -0.5', compare('a', 'eq', -0.5)],
    ['a eq 1e3', compare('a', 'eq', 1000)],
    ['a eq 2.5E-2', compare('a', 'eq', 0.025)],
    ['a eq 1e+2', compare('a', 'eq', 100)],
    ['a gt 10', compare('a', 'gt', 10)],
    ['a le -1.5', compare('a', 'le', -1.5)],
    ['a eq true', compare('a', 'eq', true)],
    ['a eq false', compare('a', 'eq', false)],
    ['a eq null', compare('a', 'eq', null)],
    ['a ne null', compare('a', 'ne', null)],
    ['a eq TRUE', compare('a', 'eq', true)],
    ['a eq False', compare('a', 'eq', false)],
    ['a eq NULL', compare('a', 'eq', null)],
  ]);

  table('whitespace', [
    ['  userName eq "x"  ', compare('userName', 'eq', 'x')],
    ['userName\teq\t"x"', compare('userName', 'eq', 'x')],
    ['userName   eq   "x"\nand\r\ntitle pr', and(compare('userName', 'eq', 'x'), present('title'))],
  ]);

  describe('the RFC 7644 §3.4.2.2 example filters', () => {
    const examples: readonly Case[] = [
      ['userName eq "bjensen"', compare('userName', 'eq', 'bjensen')],
      ['name.familyName co "O\'Malley"', compare(path('name', 'familyName'), 'co', "O'Malley")],
      ['userName sw "J"', compare('userName', 'sw', 'J')],
      [`${CORE_USER}:userName sw "J"`, compare(path('userName', undefined, CORE_USER), 'sw', 'J')],
      ['title pr', present('title')],
      ['meta.lastModified gt "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z')],
      ['meta.lastModified ge "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'ge', '2011-05-13T04:42:34Z')],
      ['meta.lastModified lt "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'lt', '2011-05-13T04:42:34Z')],
      ['meta.lastModified le "2011-05-13T04:42:34Z"', compare(path('meta', 'lastModified'), 'le', '2011-05-13T04:42:34Z')],
      ['title pr and userType eq "Employee"', and(present('title'), compare('userType', 'eq', 'Employee'))],
      ['title pr or userType eq "Intern"', or(present('title'), compare('userType', 'eq', 'Intern'))],
      [`schemas eq "${ENTERPRISE}"`, compare('schemas', 'eq', ENTERPRISE)],
      [
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        and(
          compare('userType', 'eq', 'Employee'),
          or(compare('emails', 'co', 'example.com'), compare(path('emails', 'value'), 'co', 'example.org')),
        ),
      ],
      [
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        and(
          compare('userType', 'ne', 'Employee'),
          not(or(compare('emails', 'co', 'example.com'), compare(path('emails', 'value'), 'co', 'example.org'))),
        ),
      ],
      [
        'userType eq "Employee" and (emails.type eq "work")',
        and(compare('userType', 'eq', 'Employee'), compare(path('emails', 'type'), 'eq', 'work')),
      ],
      [
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        and(
          compare('userType', 'eq', 'Employee'),
          valuePath('emails', and(compare('type', 'eq', 'work'), compare('value', 'co', '@example.com'))),
        ),
      ],
      [
        'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
        or(
          valuePath('emails', and(compare('type', 'eq', 'work'), compare('value', 'co', '@example.com'))),
          valuePath('ims', and(compare('type', 'eq', 'xmpp'), compare('value', 'co', '@foo.com'))),
        ),
      ],
    ];
    for (const [text, expected] of examples) {
      it(`parses ${text}`, () => {
        expect(parseFilter(text)).to.deep.equal(expected);
      });
    }
  });

  describe('filters real clients send', () => {
    const texts = [
      'userName eq "test.user@contoso.com"',
      'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"',
      'displayName eq "Group 1"',
      'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
      `${ENTERPRISE}:employeeNumber eq "701984"`,
      'emails[type eq "work"].value eq "someone@contoso.com"',
      'id eq "1" and members[value eq "2"]',
      'meta.resourceType eq "User" and meta.lastModified ge "2024-01-01T00:00:00.000Z"',
    ];
    for (const text of texts) {
      it(`parses ${text}`, () => {
        expect(() => parseFilter(text)).not.to.throw();
      });
    }
  });
});
