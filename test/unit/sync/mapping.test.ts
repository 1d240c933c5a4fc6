import { expect } from 'chai';
import {
  DEFAULT_ATTRIBUTE_MAP, loadMapping, mapUser, normalizeGuid, userAttributesToRead, type MappedUser, type MapResult,
} from '../../../sync/mapping';
import type { SyncMapping } from '../../../sync/types';
import { adUser, DEFAULT_MAPPING, filetime, guid, NOW } from './helpers';

function mapped(result: MapResult): MappedUser {
  if ('error' in result) throw new Error(`expected a mapped user, got: ${result.error}`);
  return result;
}

function withAttributes(attributes: Record<string, string | null>): SyncMapping {
  return loadMapping(JSON.stringify({ attributes, groups: [] }));
}

describe('sync mapping: the attribute map', () => {
  it('maps the issue\'s eleven defaults from lower-case AD attributes', () => {
    expect(DEFAULT_ATTRIBUTE_MAP).to.deep.equal({
      userName: 'userprincipalname',
      externalId: 'objectguid',
      'name.givenName': 'givenname',
      'name.familyName': 'sn',
      displayName: 'displayname',
      'emails[type eq "work"].value': 'mail',
      'phoneNumbers[type eq "work"].value': 'telephonenumber',
      title: 'title',
      'enterprise.department': 'department',
      'enterprise.employeeNumber': 'employeeid',
      'enterprise.manager': 'manager',
    });
  });

  it('cannot be changed by accident (frozen)', () => {
    expect(Object.isFrozen(DEFAULT_ATTRIBUTE_MAP)).to.equal(true);
  });

  it('loads a file with only group rules as the defaults', () => {
    expect(loadMapping('{"groups": []}')).to.deep.equal({ attributes: { ...DEFAULT_ATTRIBUTE_MAP }, groups: [] });
  });

  const overrides: ReadonlyArray<readonly [string, Record<string, string | null>, Record<string, string | undefined>]> = [
    ['overrides a default, lower-casing the AD attribute', { title: 'extensionAttribute1' }, { title: 'extensionattribute1' }],
    ['extends the map with a new SCIM path', { 'enterprise.costCenter': 'departmentNumber' }, { 'enterprise.costCenter': 'departmentnumber', title: 'title' }],
    ['removes a default mapped to null', { 'phoneNumbers[type eq "work"].value': null }, { 'phoneNumbers[type eq "work"].value': undefined }],
    ['maps userName from sAMAccountName', { userName: 'sAMAccountName' }, { userName: 'samaccountname' }],
    ['adds a second e-mail type', { 'emails[type eq "home"].value': 'otherMailbox' }, { 'emails[type eq "home"].value': 'othermailbox', 'emails[type eq "work"].value': 'mail' }],
    ['maps an address part', { 'addresses[type eq "work"].locality': 'l' }, { 'addresses[type eq "work"].locality': 'l' }],
    ['accepts an attribute OID', { nickName: '1.2.840.113556.1.4.221' }, { nickName: '1.2.840.113556.1.4.221' }],
    ['can remove the manager', { 'enterprise.manager': null }, { 'enterprise.manager': undefined }],
  ];
  for (const [title, attributes, expected] of overrides) {
    it(`${title}`, () => {
      const mapping = withAttributes(attributes);
      for (const [path, adAttribute] of Object.entries(expected)) expect(mapping.attributes[path], path).to.equal(adAttribute);
    });
  }

  it('normalises group GUIDs to the lower-case, brace-free form the source produces', () => {
    const mapping = loadMapping(JSON.stringify({
      groups: [
        { group: { guid: '{6F9619FF-8B86-D011-B42D-00C04FC964FF}' }, role: ' Auditor ' },
        { group: { dn: ' CN=Ops,OU=Groups,DC=corp,DC=example ' }, role: 'Operator' },
        { groupsUnder: 'OU=Roles,DC=corp,DC=example' },
        { groupsUnder: 'OU=More,DC=corp,DC=example', createRoles: true },
      ],
    }));
    expect(mapping.groups).to.deep.equal([
      { group: { guid: '6f9619ff-8b86-d011-b42d-00c04fc964ff' }, role: 'Auditor' },
      { group: { dn: 'CN=Ops,OU=Groups,DC=corp,DC=example' }, role: 'Operator' },
      { groupsUnder: 'OU=Roles,DC=corp,DC=example', createRoles: true },
      { groupsUnder: 'OU=More,DC=corp,DC=example', createRoles: true },
    ]);
    expect(normalizeGuid('{ABC}')).to.equal('abc');
  });

  it('refuses to remove userName or externalId, naming the key', () => {
    expect(() => withAttributes({ userName: null })).to.throw(/attributes\["userName"\] cannot be null/);
    expect(() => withAttributes({ externalId: null })).to.throw(/attributes\["externalId"\] cannot be null/);
  });
});

describe('sync mapping: userAttributesToRead()', () => {
  it('lists the mapped attributes and the account flags, sorted, without objectGUID', () => {
    expect(userAttributesToRead(DEFAULT_MAPPING)).to.deep.equal([
      'accountexpires', 'department', 'displayname', 'employeeid', 'givenname', 'mail', 'manager', 'samaccountname',
      'sn', 'telephonenumber', 'title', 'useraccountcontrol', 'userprincipalname',
    ]);
  });

  it('drops manager when it is not mapped and adds what the file adds', () => {
    const mapping = withAttributes({ 'enterprise.manager': null, 'enterprise.costCenter': 'departmentNumber' });
    const names = userAttributesToRead(mapping);
    expect(names).not.to.include('manager');
    expect(names).to.include('departmentnumber');
  });

  it('always includes userAccountControl, accountExpires and sAMAccountName, even when the map is minimal', () => {
    const names = userAttributesToRead({ attributes: { userName: 'userprincipalname', externalId: 'objectguid' }, groups: [] });
    expect(names).to.deep.equal(['accountexpires', 'samaccountname', 'useraccountcontrol', 'userprincipalname']);
  });

  it('lower-cases and de-duplicates names', () => {
    const names = userAttributesToRead({ attributes: { userName: 'Mail', 'emails[type eq "work"].value': 'MAIL', externalId: 'objectGUID' }, groups: [] });
    expect(names).to.deep.equal(['accountexpires', 'mail', 'samaccountname', 'useraccountcontrol']);
  });
});

describe('sync mapping: mapUser()', () => {
  it('builds the SCIM profile from a typical user', () => {
    const user = adUser(7, {
      telephonenumber: '+1 555 0100', title: 'Engineer', department: 'R&D', employeeid: 'E-7',
    });
    const result = mapped(mapUser(user, DEFAULT_MAPPING, NOW));
    expect(result.active).to.equal(true);
    expect(result.profile).to.deep.equal({
      userName: 'u7@corp.example',
      externalId: guid(7),
      name: { givenName: 'Given7', familyName: 'Family7' },
      displayName: 'Given7 Family7',
      emails: [{ type: 'work', primary: true, value: 'u7@corp.example' }],
      phoneNumbers: [{ type: 'work', primary: true, value: '+1 555 0100' }],
      title: 'Engineer',
      enterprise: { department: 'R&D', employeeNumber: 'E-7' },
      active: true,
    });
  });

  it('leaves out attributes the user does not have (no mail → no emails, no name parts → no name)', () => {
    const user = adUser(1, { mail: undefined, givenname: undefined, sn: undefined, displayname: undefined });
    const { profile } = mapped(mapUser(user, DEFAULT_MAPPING, NOW));
    expect(profile).to.deep.equal({ userName: 'u1@corp.example', externalId: guid(1), active: true });
  });

  it('treats an empty AD value as absent and takes the first of several values', () => {
    const user = adUser(1, { title: '', mail: ['first@corp.example', 'second@corp.example'] });
    const { profile } = mapped(mapUser(user, DEFAULT_MAPPING, NOW));
    expect(profile.title).to.equal(undefined);
    expect(profile.emails).to.deep.equal([{ type: 'work', primary: true, value: 'first@corp.example' }]);
  });

  it('makes the first mapped value of a multi-valued attribute the primary one', () => {
    const mapping = withAttributes({ 'emails[type eq "home"].value': 'otherMailbox' });
    const { profile } = mapped(mapUser(adUser(1, { othermailbox: 'me@home.example' }), mapping, NOW));
    expect(profile.emails).to.deep.equal([
      { type: 'work', primary: true, value: 'u1@corp.example' },
      { type: 'home', value: 'me@home.example' },
    ]);
    const { profile: homeOnly } = mapped(mapUser(adUser(2, { mail: undefined, othermailbox: 'x@home.example' }), mapping, NOW));
    expect(homeOnly.emails).to.deep.equal([{ type: 'home', primary: true, value: 'x@home.example' }]);
  });

  it('gathers the parts of one address into one value', () => {
    const mapping = withAttributes({
      'addresses[type eq "work"].streetAddress': 'streetAddress',
      'addresses[type eq "work"].locality': 'l',
      'addresses[type eq "work"].country': 'c',
    });
    const { profile } = mapped(mapUser(adUser(1, { streetaddress: '1 Main St', l: 'Springfield', c: 'US' }), mapping, NOW));
    expect(profile.addresses).to.deep.equal([{ type: 'work', primary: true, streetAddress: '1 Main St', locality: 'Springfield', country: 'US' }]);
  });

  it('uses overridden and extended mappings', () => {
    const mapping = withAttributes({ title: 'extensionAttribute1', 'enterprise.costCenter': 'departmentNumber', nickName: 'sAMAccountName' });
    const { profile } = mapped(mapUser(adUser(3, { title: 'Ignored', extensionattribute1: 'Chief', departmentnumber: 'CC-9' }), mapping, NOW));
    expect(profile.title).to.equal('Chief');
    expect(profile.enterprise).to.deep.equal({ costCenter: 'CC-9' });
    expect(profile.nickName).to.equal('u3');
  });

  it('can take userName from sAMAccountName instead of the UPN', () => {
    const mapping = withAttributes({ userName: 'sAMAccountName' });
    expect(mapped(mapUser(adUser(4), mapping, NOW)).profile.userName).to.equal('u4');
  });

  it('puts the anchor wherever objectguid is mapped', () => {
    const mapping = withAttributes({ nickName: 'objectGUID' });
    const { profile } = mapped(mapUser(adUser(5), mapping, NOW));
    expect(profile.nickName).to.equal(guid(5));
    expect(profile.externalId).to.equal(guid(5));
  });

  describe('the manager', () => {
    const managerDn = 'CN=Boss,OU=Staff,DC=corp,DC=example';
    const resolve = (dn: string): string | undefined => (dn.toLowerCase() === managerDn.toLowerCase() ? guid(99) : undefined);

    it('returns the manager DN, and with a resolver the anchor, in the profile and beside it', () => {
      const result = mapped(mapUser(adUser(1, { manager: managerDn }), DEFAULT_MAPPING, NOW, resolve));
      expect(result.managerDn).to.equal(managerDn);
      expect(result.managerAnchor).to.equal(guid(99));
      expect(result.profile.enterprise).to.deep.equal({ manager: { value: guid(99) } });
    });

    it('leaves the manager out when its DN does not resolve', () => {
      const result = mapped(mapUser(adUser(1, { manager: 'CN=Stranger,DC=other' }), DEFAULT_MAPPING, NOW, resolve));
      expect(result.managerDn).to.equal('CN=Stranger,DC=other');
      expect(result.managerAnchor).to.equal(undefined);
      expect(result.profile.enterprise).to.equal(undefined);
    });

    it('leaves the manager out without a resolver', () => {
      const result = mapped(mapUser(adUser(1, { manager: managerDn }), DEFAULT_MAPPING, NOW));
      expect(result).not.to.have.property('managerAnchor');
      expect(result.profile.enterprise).to.equal(undefined);
    });

    it('has no manager fields when the user has no manager', () => {
      const result = mapped(mapUser(adUser(1), DEFAULT_MAPPING, NOW, resolve));
      expect(result).not.to.have.property('managerDn');
      expect(result).not.to.have.property('managerAnchor');
    });
  });

  describe('account state (userAccountControl and accountExpires)', () => {
    const day = 86_400_000;
    const cases: ReadonlyArray<readonly [string, Record<string, string | undefined>, boolean, string | undefined]> = [
      ['a normal account (512) is active', { useraccountcontrol: '512' }, true, undefined],
      ['a disabled normal account (514) is inactive', { useraccountcontrol: '514' }, false, 'disabled in Active Directory'],
      ['ACCOUNTDISABLE alone (2) is inactive', { useraccountcontrol: '2' }, false, 'disabled in Active Directory'],
      ['DONT_EXPIRE_PASSWORD + disabled (66050) is inactive', { useraccountcontrol: '66050' }, false, 'disabled in Active Directory'],
      ['DONT_EXPIRE_PASSWORD enabled (66048) is active', { useraccountcontrol: '66048' }, true, undefined],
      ['a locked-out account (528) is still active: lockout is temporary', { useraccountcontrol: '528' }, true, undefined],
      ['no userAccountControl is active', { useraccountcontrol: undefined }, true, undefined],
      ['accountExpires 0 means never', { accountexpires: '0' }, true, undefined],
      ['accountExpires 9223372036854775807 means never', { accountexpires: '9223372036854775807' }, true, undefined],
      ['no accountExpires means never', { accountexpires: undefined }, true, undefined],
      ['an expiry tomorrow is active', { accountexpires: filetime(new Date(NOW.getTime() + day)) }, true, undefined],
      ['an expiry one millisecond ahead is active', { accountexpires: filetime(new Date(NOW.getTime() + 1)) }, true, undefined],
      ['an expiry at this very moment is expired', { accountexpires: filetime(NOW) }, false, 'account expired'],
      ['an expiry yesterday is expired', { accountexpires: filetime(new Date(NOW.getTime() - day)) }, false, 'account expired'],
      ['an expiry in 2001 is expired', { accountexpires: '126227808000000000' }, false, 'account expired'],
      ['disabled and expired reports the disable', { useraccountcontrol: '514', accountexpires: filetime(new Date(NOW.getTime() - day)) }, false, 'disabled in Active Directory'],
    ];
    for (const [title, attributes, active, reason] of cases) {
      it(title, () => {
        const result = mapped(mapUser(adUser(1, attributes), DEFAULT_MAPPING, NOW));
        expect(result.active).to.equal(active);
        expect(result.profile.active).to.equal(active);
        expect(result.inactiveReason).to.equal(reason);
      });
    }

    it('judges expiry against the `now` it is given', () => {
      const user = adUser(1, { accountexpires: filetime(new Date('2030-01-01T00:00:00Z')) });
      expect(mapped(mapUser(user, DEFAULT_MAPPING, new Date('2029-12-31T23:59:59Z'))).active).to.equal(true);
      expect(mapped(mapUser(user, DEFAULT_MAPPING, new Date('2030-01-01T00:00:00Z'))).active).to.equal(false);
    });
  });

  describe('users that cannot be mapped', () => {
    const cases: ReadonlyArray<readonly [string, Record<string, string | undefined>, RegExp]> = [
      ['a user without a UPN', { userprincipalname: undefined }, /missing userprincipalname, which userName is mapped from/],
      ['a user with an empty UPN', { userprincipalname: '' }, /missing userprincipalname/],
      ['a user with a blank UPN', { userprincipalname: '   ' }, /missing userprincipalname/],
      ['a UPN longer than 255 characters', { userprincipalname: `${'a'.repeat(250)}@corp.example` }, /longer than 255/],
      ['a UPN with a control character', { userprincipalname: 'a\nb@corp.example' }, /control characters/],
      ['a userAccountControl that is not a number', { useraccountcontrol: 'enabled' }, /userAccountControl is not an integer/],
      ['an accountExpires that is not a number', { accountexpires: 'soon' }, /accountExpires is not an integer/],
    ];
    for (const [title, attributes, message] of cases) {
      it(`reports ${title} as an error`, () => {
        const result = mapUser(adUser(1, attributes), DEFAULT_MAPPING, NOW);
        expect(result).to.have.property('error').that.matches(message);
      });
    }

    it('names the overridden source attribute in the error', () => {
      const mapping = withAttributes({ userName: 'sAMAccountName' });
      expect(mapUser(adUser(1, { samaccountname: undefined }), mapping, NOW)).to.deep.equal({
        error: 'missing samaccountname, which userName is mapped from',
      });
    });

    it('reports a mapping without userName', () => {
      expect(mapUser(adUser(1), { attributes: {}, groups: [] }, NOW)).to.have.property('error').that.matches(/no source attribute for userName/);
    });
  });
});
