import { expect } from 'chai';
import type { AttributePath } from '../../../../scim/filter/ast';
import { matchesFilter, parseFilter, parsePatchPath } from '../../../../scim/filter';
import { ENTERPRISE } from './helpers';

const user: Record<string, unknown> = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'BJensen-Ext',
  userName: 'bjensen@example.com',
  name: { familyName: "O'Malley", givenName: 'Barbara', formatted: "Ms. Barbara J O'Malley" },
  displayName: 'Babs Jensen',
  title: 'Tour Guide',
  userType: 'Employee',
  active: true,
  loginCount: 42,
  score: 3.5,
  nickName: '',
  locale: null,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  phoneNumbers: [],
  addresses: [{ type: 'work', locality: 'Hollywood', postalCode: '91608' }],
  groups: [{ value: 'e9e30dba', display: 'Tour Guides', $ref: 'https://example.com/v2/Groups/e9e30dba' }],
  roles: [{}],
  entitlements: [{ value: '' }],
  x509Certificates: [null],
  meta: {
    resourceType: 'User',
    created: '2010-01-23T04:56:22Z',
    lastModified: '2011-05-13T04:42:34Z',
  },
  [ENTERPRISE.toLowerCase()]: {
    employeeNumber: '701984',
    department: 'Tour Operations',
    manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d', displayName: 'John Smith' },
  },
};

const group: Record<string, unknown> = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  displayName: 'Tour Guides',
  members: [
    { value: '2819c223-7f76-453a-919d-413861904646', display: 'Babs Jensen', type: 'User' },
    { value: '902c246b-6245-4190-8e05-00816be7344a', display: 'Mandy Pepperidge', type: 'User' },
  ],
};

function table(target: Record<string, unknown>, cases: ReadonlyArray<readonly [string, boolean]>): void {
  for (const [filter, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${filter}`, () => {
      expect(matchesFilter(parseFilter(filter), target)).to.equal(expected);
    });
  }
}

describe('matchesFilter', () => {
  describe('string operators', () => {
    table(user, [
      ['userName eq "bjensen@example.com"', true],
      ['userName eq "BJENSEN@EXAMPLE.COM"', true],
      ['userName eq "bjensen"', false],
      ['userName ne "bjensen"', true],
      ['userName ne "BJensen@example.com"', false],
      ['userName co "JENSEN@"', true],
      ['userName co "smith"', false],
      ['userName sw "BJ"', true],
      ['userName sw "jensen"', false],
      ['userName ew ".COM"', true],
      ['userName ew ".org"', false],
      ['userName co ""', true],
      ['userName gt "a"', true],
      ['userName gt "C"', false],
      ['userName ge "BJENSEN@EXAMPLE.COM"', true],
      ['userName lt "c"', true],
      ['userName lt "bjensen@example.com"', false],
      ['userName le "bjensen@example.com"', true],
      ['name.familyName co "O\'Malley"', true],
      ['name.familyName eq "o\'malley"', true],
      ['name.givenName sw "bar"', true],
    ]);
  });

  describe('attribute lookup', () => {
    table(user, [
      ['USERNAME eq "bjensen@example.com"', true],
      ['Name.FamilyName eq "O\'Malley"', true],
      ['missing eq "x"', false],
      ['missing ne "x"', false],
      ['name.missing eq "x"', false],
      ['userName.sub eq "x"', false],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj"', true],
      ['urn:ietf:params:scim:schemas:core:2.0:user:name.givenName eq "Barbara"', true],
      ['urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Babs Jensen"', true],
      [`${ENTERPRISE}:department eq "Tour Operations"`, true],
      [`${ENTERPRISE}:employeeNumber eq "701984"`, true],
      [`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true],
      [`${ENTERPRISE}:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true],
      [`${ENTERPRISE}:manager.displayName sw "john"`, true],
      [`${ENTERPRISE}:userName eq "bjensen@example.com"`, false],
      ['urn:example:other:1.0:Thing:department eq "Tour Operations"', false],
      ['department eq "Tour Operations"', false],
      ['meta.resourceType eq "User"', true],
    ]);
  });

  describe('numbers and booleans', () => {
    table(user, [
      ['loginCount eq 42', true],
      ['loginCount eq 42.0', true],
      ['loginCount ne 42', false],
      ['loginCount gt 41', true],
      ['loginCount gt 42', false],
      ['loginCount ge 42', true],
      ['loginCount lt 100', true],
      ['loginCount le 41', false],
      ['score gt 3.25', true],
      ['score lt -1', false],
      ['loginCount eq "42"', false],
      ['userName eq 42', false],
      ['active eq true', true],
      ['active eq TRUE', true],
      ['active eq false', false],
      ['active ne false', true],
      ['active eq "true"', false],
      ['emails.primary eq true', true],
      ['emails.primary eq false', false],
    ]);
  });

  describe('date-times', () => {
    table(user, [
      ['meta.lastModified eq "2011-05-13T04:42:34Z"', true],
      ['meta.lastModified eq "2011-05-13T04:42:34.000Z"', true],
      ['meta.lastModified eq "2011-05-13T06:42:34+02:00"', true],
      ['meta.lastModified eq "2011-05-13t04:42:34z"', true],
      ['meta.lastModified gt "2011-05-13T04:42:33Z"', true],
      ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
      ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
      ['meta.lastModified lt "2011-05-13T05:42:34+02:00"', false],
      ['meta.lastModified gt "2011-05-13T05:42:34+02:00"', true],
      ['meta.lastModified le "2011-05-13T04:42:34Z"', true],
      ['meta.lastModified lt "2012-01-01T00:00:00"', true],
      ['meta.lastModified ge "2024-01-01T00:00:00.000Z"', false],
      ['meta.lastModified ne "2011-05-13T04:42:34.001Z"', true],
      ['meta.lastModified sw "2011-05"', true],
      ['meta.created lt "2011"', true],
    ]);
  });

  describe('multi-valued attributes', () => {
    table(user, [
      ['emails eq "babs@jensen.org"', true],
      ['emails co "example.com"', true],
      ['emails co "example.org"', false],
      ['emails.value co "jensen.org"', true],
      ['emails.type eq "work"', true],
      ['emails.type eq "other"', false],
      ['emails.type ne "work"', true],
      ['emails ne "nobody@x.com"', true],
      ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', true],
      ['schemas eq "urn:example:missing"', false],
      ['groups.$ref ew "/e9e30dba"', true],
      ['groups.display eq "tour guides"', true],
      ['addresses.locality eq "Hollywood"', true],
      ['addresses eq "Hollywood"', false],
      ['phoneNumbers eq "555"', false],
      ['phoneNumbers ne "555"', false],
    ]);
  });

  describe('pr', () => {
    table(user, [
      ['title pr', true],
      ['userName pr', true],
      ['active pr', true],
      ['loginCount pr', true],
      ['name pr', true],
      ['name.givenName pr', true],
      ['name.middleName pr', false],
      ['emails pr', true],
      ['emails.value pr', true],
      ['emails.display pr', false],
      ['nickName pr', false],
      ['locale pr', false],
      ['missing pr', false],
      ['phoneNumbers pr', false],
      ['roles pr', false],
      ['entitlements pr', false],
      ['x509Certificates pr', false],
      ['not (title pr)', false],
      [`${ENTERPRISE}:manager pr`, true],
      [`${ENTERPRISE}:costCenter pr`, false],
    ]);
  });

  describe('null', () => {
    table(user, [
      ['locale eq null', true],
      ['missing eq null', true],
      ['nickName eq null', true],
      ['phoneNumbers eq null', true],
      ['title eq null', false],
      ['title ne null', true],
      ['locale ne null', false],
    ]);
  });

  describe('logical operators', () => {
    table(user, [
      ['title pr and userType eq "Employee"', true],
      ['title pr and userType eq "Intern"', false],
      ['title pr or userType eq "Intern"', true],
      ['missing pr or userType eq "Intern"', false],
      ['not (userType eq "Intern")', true],
      ['not (userType eq "Employee")', false],
      ['userType eq "Intern" or userType eq "Employee" and active eq true', true],
      ['(userType eq "Intern" or userType eq "Employee") and active eq false', false],
      ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', true],
      ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', false],
      ['userType eq "Employee" and (emails.type eq "work")', true],
    ]);
  });

  describe('value paths', () => {
    table(user, [
      ['emails[type eq "work"]', true],
      ['emails[type eq "WORK"]', true],
      ['emails[type eq "other"]', false],
      ['emails[type eq "work" and value co "@example.com"]', true],
      ['emails[type eq "home" and value co "@example.com"]', false],
      ['emails[type eq "home" or primary eq true]', true],
      ['emails[not (type eq "work")]', true],
      ['emails[type eq "work"].value eq "bjensen@example.com"', true],
      ['emails[type eq "home"].value eq "bjensen@example.com"', false],
      ['emails[type eq "home"].value pr', true],
      ['emails[type eq "home"].primary pr', false],
      ['addresses[type eq "work"].locality eq "hollywood"', true],
      ['name[givenName eq "Barbara"]', true],
      ['name[givenName eq "Bob"]', false],
      ['schemas[value eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]', true],
      ['missing[type eq "work"]', false],
      ['userName[value eq "bjensen@example.com"]', true],
      ['phoneNumbers[type pr]', false],
      [`${ENTERPRISE}:manager[displayName eq "John Smith"]`, true],
      ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', true],
      ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true],
    ]);
  });

  describe('group members', () => {
    table(group, [
      ['members[value eq "2819c223-7f76-453a-919d-413861904646"]', true],
      ['members[value eq "2819C223-7F76-453A-919D-413861904646"]', true],
      ['members[value eq "00000000"]', false],
      ['members[display sw "mandy"]', true],
      ['members eq "902c246b-6245-4190-8e05-00816be7344a"', true],
      ['members.display eq "Babs Jensen"', true],
      ['urn:ietf:params:scim:schemas:core:2.0:Group:members[type eq "User"]', true],
    ]);

    it('evaluates a PATCH path filter against one member', () => {
      const { filter } = parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]');
      const members = group['members'] as Array<Record<string, unknown>>;
      expect(filter).to.not.equal(undefined);
      if (filter === undefined) return;
      expect(members.map((member) => matchesFilter(filter, member))).to.deep.equal([true, false]);
    });
  });

  describe('caseExact', () => {
    const exactPaths = (...names: string[]) => (path: AttributePath): boolean =>
      names.includes([path.attribute, path.subAttribute].filter((n) => n !== undefined).join('.'));

    it('compares case-sensitively when caseExact says so', () => {
      const options = { caseExact: exactPaths('externalId') };
      expect(matchesFilter(parseFilter('externalId eq "bjensen-ext"'), user, options)).to.equal(false);
      expect(matchesFilter(parseFilter('externalId eq "BJensen-Ext"'), user, options)).to.equal(true);
      expect(matchesFilter(parseFilter('externalId sw "bj"'), user, options)).to.equal(false);
      expect(matchesFilter(parseFilter('userName eq "BJENSEN@example.com"'), user, options)).to.equal(true);
    });

    it('orders case-sensitively when caseExact says so', () => {
      const options = { caseExact: exactPaths('externalId') };
      expect(matchesFilter(parseFilter('externalId gt "a"'), user, options)).to.equal(false);
      expect(matchesFilter(parseFilter('externalId gt "a"'), user)).to.equal(true);
    });

    it('asks about the full path inside a value path', () => {
      const seen: AttributePath[] = [];
      const caseExact = (path: AttributePath): boolean => {
        seen.push(path);
        return path.attribute === 'emails' && path.subAttribute === 'type';
      };
      expect(matchesFilter(parseFilter('emails[type eq "WORK"]'), user, { caseExact })).to.equal(false);
      expect(matchesFilter(parseFilter('emails[type eq "work"]'), user, { caseExact })).to.equal(true);
      expect(seen[0]).to.deep.equal({ attribute: 'emails', subAttribute: 'type' });
    });

    it('passes the URN of the path', () => {
      const seen: AttributePath[] = [];
      matchesFilter(parseFilter(`${ENTERPRISE}:department eq "x"`), user, {
        caseExact: (path) => {
          seen.push(path);
          return false;
        },
      });
      expect(seen).to.deep.equal([{ uri: ENTERPRISE, attribute: 'department' }]);
    });
  });

  it('ignores prototype keys', () => {
    expect(matchesFilter(parseFilter('constructor pr'), {})).to.equal(false);
    expect(matchesFilter(parseFilter('toString pr'), { a: 1 })).to.equal(false);
  });
});
