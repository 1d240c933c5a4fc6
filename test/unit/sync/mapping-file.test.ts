import { expect } from 'chai';
import { loadMapping } from '../../../sync/mapping';
import { MAPPABLE_PATHS, parseMappingFile } from '../../../sync/mapping-file';

const GUID = '6f9619ff-8b86-d011-b42d-00c04fc964ff';

function errorOf(text: string): string {
  try {
    loadMapping(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the mapping file was accepted');
}

const file = (content: unknown): string => JSON.stringify(content);

const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('sync mapping file: accepted files', () => {
  const good: ReadonlyArray<readonly [string, unknown]> = [
    ['an empty rule list', { groups: [] }],
    ['an empty file', {}],
    ['a file without groups', { attributes: { title: 'extensionAttribute1' } }],
    ['a rule by GUID', { groups: [{ group: { guid: GUID }, role: 'Auditor' }] }],
    ['a rule by braced upper-case GUID', { groups: [{ group: { guid: `{${GUID.toUpperCase()}}` }, role: 'Auditor' }] }],
    ['a rule by DN', { groups: [{ group: { dn: 'CN=Auditors,OU=Groups,DC=corp,DC=example' }, role: 'Auditor' }] }],
    ['a groupsUnder rule without createRoles', { groups: [{ groupsUnder: 'OU=Roles,DC=corp,DC=example' }] }],
    ['a groupsUnder rule with createRoles true', { groups: [{ groupsUnder: 'OU=Roles,DC=corp,DC=example', createRoles: true }] }],
    ['a $schema and a description', { $schema: './mapping.schema.json', description: 'Corp mapping', groups: [] }],
    ['attributes with null and strings', { attributes: { title: 'extensionAttribute1', 'phoneNumbers[type eq "work"].value': null }, groups: [] }],
    ['every supported SCIM path form', {
      attributes: {
        nickName: 'a', profileUrl: 'b', userType: 'c', preferredLanguage: 'd', locale: 'e', timezone: 'f',
        'name.formatted': 'g', 'name.middleName': 'h', 'name.honorificPrefix': 'i', 'name.honorificSuffix': 'j',
        'enterprise.costCenter': 'k', 'enterprise.organization': 'l', 'enterprise.division': 'm',
        'ims[type eq "xmpp"].value': 'n', 'photos[type eq "thumbnail"].value': 'o', 'phoneNumbers[type eq "mobile"].value': 'mobile',
        'addresses[type eq "work"].postalCode': 'postalCode', 'addresses[type eq "work"].region': 'st',
        'addresses[type eq "work"].formatted': 'p',
      },
      groups: [],
    }],
  ];
  for (const [title, content] of good) {
    it(`accepts ${title}`, () => {
      expect(() => loadMapping(file(content))).not.to.throw();
    });
  }

  it('returns the file as written from parseMappingFile', () => {
    const content = { attributes: { title: null }, groups: [{ groupsUnder: 'OU=R,DC=x' }] };
    expect(parseMappingFile(file(content))).to.deep.equal(content);
  });

  it('reads a file without groups as one without group rules', () => {
    expect(parseMappingFile(file({ attributes: { title: 'extensionAttribute1' } })).groups).to.deep.equal([]);
    const mapping = loadMapping(file({ attributes: { title: 'extensionAttribute1' } }));
    expect(mapping.groups).to.deep.equal([]);
    expect(mapping.attributes['title']).to.equal('extensionattribute1');
    expect(loadMapping('{}')).to.deep.equal(loadMapping(file({ groups: [] })));
  });

  it('accepts every path it lists, and each Enterprise User attribute under its URN', () => {
    const paths = MAPPABLE_PATHS.map((path) => path.replace('<type>', 'work'));
    const urns = MAPPABLE_PATHS.filter((path) => path.startsWith('enterprise.'))
      .map((path) => `${ENTERPRISE_URN}:${path.slice('enterprise.'.length)}`);
    expect(urns).to.have.length(6);
    for (const path of [...paths, ...urns]) {
      expect(() => loadMapping(file({ attributes: { [path]: 'info' } })), path).not.to.throw();
    }
  });
});

describe('sync mapping file: the Enterprise User URN', () => {
  it('reads the full URN, in any case, as the enterprise. shorthand', () => {
    const urn = file({ attributes: { 'URN:IETF:params:SCIM:schemas:extension:Enterprise:2.0:user:costCenter': 'departmentNumber' } });
    const shorthand = file({ attributes: { 'enterprise.costCenter': 'departmentNumber' } });
    expect(loadMapping(urn)).to.deep.equal(loadMapping(shorthand));
    expect(parseMappingFile(urn).attributes).to.deep.equal({ 'enterprise.costCenter': 'departmentNumber' });
  });

  it('removes a default given as a URN mapped to null', () => {
    const mapping = loadMapping(file({ attributes: { [`${ENTERPRISE_URN}:manager`]: null } }));
    expect(mapping.attributes).not.to.have.property('enterprise.manager');
    expect(mapping.attributes).not.to.have.property(`${ENTERPRISE_URN}:manager`);
  });

  it('keeps the order of the keys as written', () => {
    const parsed = parseMappingFile(file({ attributes: { title: 'a', [`${ENTERPRISE_URN}:division`]: 'b', nickName: 'c' } }));
    expect(Object.keys(parsed.attributes ?? {})).to.deep.equal(['title', 'enterprise.division', 'nickName']);
  });

  const refused: ReadonlyArray<readonly [string, unknown, RegExp]> = [
    ['an attribute the extension does not have', { attributes: { [`${ENTERPRISE_URN}:badge`]: 'x' } },
      /attributes\["urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User:badge"\] is not a SCIM attribute the sync can map/],
    ['an attribute name in the wrong case, as every path is', { attributes: { [`${ENTERPRISE_URN}:CostCenter`]: 'x' } },
      /attributes\["urn:[^"]*:User:CostCenter"\] is not a SCIM attribute/],
    ['a sub-attribute of the manager', { attributes: { [`${ENTERPRISE_URN}:manager.value`]: 'manager' } },
      /attributes\["urn:[^"]*:User:manager\.value"\] is not a SCIM attribute/],
    ['the URN without an attribute', { attributes: { [ENTERPRISE_URN]: 'x' } }, /attributes\["urn:[^"]*:User"\] is not a SCIM attribute/],
    ['another schema\'s URN', { attributes: { 'urn:ietf:params:scim:schemas:core:2.0:User:title': 'x' } },
      /attributes\["urn:ietf:params:scim:schemas:core:2\.0:User:title"\] is not a SCIM attribute/],
    ['a URN beside the shorthand for the same attribute', { attributes: { 'enterprise.department': 'a', [`${ENTERPRISE_URN.toLowerCase()}:department`]: 'b' } },
      /attributes\["enterprise\.department"\] and attributes\["urn:[^"]*:user:department"\] name the same attribute \(enterprise\.department\)/],
    ['one URN twice in two cases', { attributes: { [`${ENTERPRISE_URN}:division`]: 'a', [`${ENTERPRISE_URN.toUpperCase()}:division`]: 'b' } },
      /name the same attribute \(enterprise\.division\)/],
    ['an AD attribute that is not a name under a URN', { attributes: { [`${ENTERPRISE_URN}:department`]: 'a b' } },
      /attributes\["urn:[^"]*:User:department"\] must be an AD attribute name/],
  ];
  for (const [title, content, message] of refused) {
    it(`refuses ${title}, naming the key as written`, () => {
      expect(errorOf(file(content))).to.match(message);
    });
  }
});

describe('sync mapping file: refused files name the bad key', () => {
  const bad: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['text that is not JSON', '{"groups": [', /not JSON/],
    ['a JSON array', '[]', /the file must be an object/],
    ['groups that is not an array', file({ groups: {} }), /groups must be an array/],
    ['an unknown top-level key', file({ groups: [], roles: [] }), /roles is not a known key/],
    ['attributes that is not an object', file({ attributes: [], groups: [] }), /attributes must be an object/],
    ['an unsupported SCIM path', file({ attributes: { 'name.nick': 'x' }, groups: [] }), /attributes\["name\.nick"\] is not a SCIM attribute the sync can map/],
    ['active in the attribute map', file({ attributes: { active: 'userAccountControl' }, groups: [] }), /attributes\["active"\].*comes from the account flags/],
    ['a SCIM path in the wrong case', file({ attributes: { username: 'mail' }, groups: [] }), /attributes\["username"\] is not a SCIM attribute/],
    ['a multi-valued path without a type filter', file({ attributes: { 'emails.value': 'mail' }, groups: [] }), /attributes\["emails\.value"\]/],
    ['an AD attribute that is a number', file({ attributes: { title: 5 }, groups: [] }), /attributes\["title"\] must be a string \(an AD attribute name\) or null/],
    ['an AD attribute with a space', file({ attributes: { title: 'job title' }, groups: [] }), /attributes\["title"\] must be an AD attribute name/],
    ['an AD attribute that is empty', file({ attributes: { title: '' }, groups: [] }), /attributes\["title"\] must be an AD attribute name/],
    ['a null userName', file({ attributes: { userName: null }, groups: [] }), /attributes\["userName"\] cannot be null/],
    ['a rule that is not an object', file({ groups: ['Auditors'] }), /groups\[0\] must be an object/],
    ['a rule without role', file({ groups: [{ group: { guid: GUID } }] }), /groups\[0\]\.role is required/],
    ['a rule without group', file({ groups: [{ role: 'Auditor' }] }), /groups\[0\]\.group is required/],
    ['an empty rule', file({ groups: [{}] }), /groups\[0\]\.group is required; groups\[0\]\.role is required/],
    ['a blank role', file({ groups: [{ group: { guid: GUID }, role: '  ' }] }), /groups\[0\]\.role must not be blank/],
    ['an empty role', file({ groups: [{ group: { guid: GUID }, role: '' }] }), /groups\[0\]\.role must not be blank/],
    ['a role that is not a string', file({ groups: [{ group: { guid: GUID }, role: 7 }] }), /groups\[0\]\.role must be a string/],
    ['a role name over 255 characters', file({ groups: [{ group: { guid: GUID }, role: 'r'.repeat(256) }] }), /groups\[0\]\.role is longer than 255/],
    ['a malformed GUID', file({ groups: [{ group: { guid: 'not-a-guid' }, role: 'Auditor' }] }), /groups\[0\]\.group\.guid must be an objectGUID/],
    ['a GUID one digit short', file({ groups: [{ group: { guid: GUID.slice(1) }, role: 'Auditor' }] }), /groups\[0\]\.group\.guid/],
    ['a DN without an RDN', file({ groups: [{ group: { dn: 'Auditors' }, role: 'Auditor' }] }), /groups\[0\]\.group\.dn must be a distinguished name/],
    ['a group with both guid and dn', file({ groups: [{ group: { guid: GUID, dn: 'CN=a,DC=b' }, role: 'R' }] }), /groups\[0\]\.group must have exactly one of "guid" or "dn"/],
    ['a group with neither guid nor dn', file({ groups: [{ group: {}, role: 'R' }] }), /groups\[0\]\.group must have exactly one of "guid" or "dn"/],
    ['a group with an unknown key', file({ groups: [{ group: { name: 'Auditors' }, role: 'R' }] }), /groups\[0\]\.group\.name is not a known key/],
    ['a rule with an unknown key', file({ groups: [{ group: { guid: GUID }, role: 'R', nested: true }] }), /groups\[0\]\.nested is not a known key/],
    ['groupsUnder with a role', file({ groups: [{ groupsUnder: 'OU=R,DC=x', role: 'R' }] }), /groups\[0\]\.role cannot be combined with "groupsUnder"/],
    ['groupsUnder with a group', file({ groups: [{ groupsUnder: 'OU=R,DC=x', group: { guid: GUID } }] }), /groups\[0\]\.group cannot be combined with "groupsUnder"/],
    ['groupsUnder with createRoles false', file({ groups: [{ groupsUnder: 'OU=R,DC=x', createRoles: false }] }), /groups\[0\]\.createRoles must be true/],
    ['groupsUnder that is not a DN', file({ groups: [{ groupsUnder: 'Roles' }] }), /groups\[0\]\.groupsUnder must be a distinguished name/],
    ['createRoles on a single-group rule', file({ groups: [{ group: { guid: GUID }, role: 'R', createRoles: true }] }), /groups\[0\]\.createRoles only belongs in a "groupsUnder" rule/],
    ['a bad third rule among good ones', file({ groups: [{ groupsUnder: 'OU=R,DC=x' }, { group: { guid: GUID }, role: 'A' }, { group: { guid: GUID } }] }), /groups\[2\]\.role is required/],
  ];
  for (const [title, text, message] of bad) {
    it(`refuses ${title}`, () => {
      const error = errorOf(text);
      expect(error).to.match(/^Invalid sync mapping file: /);
      expect(error).to.match(message);
    });
  }

  it('lists every problem at once', () => {
    const error = errorOf(file({
      attributes: { bogus: 'x' },
      groups: [{ group: { guid: 'x' }, role: 'A' }, { groupsUnder: 'nope' }],
      extra: 1,
    }));
    for (const key of ['attributes["bogus"]', 'groups[0].group.guid', 'groups[1].groupsUnder', 'extra']) expect(error).to.include(key);
  });

  it('lists the paths it can map, once, when a path is unknown', () => {
    const error = errorOf(file({ attributes: { 'name.nick': 'x', mobile: 'mobile' } }));
    expect(error).to.include('attributes["name.nick"] is not a SCIM attribute the sync can map');
    expect(error).to.include('attributes["mobile"] is not a SCIM attribute the sync can map');
    for (const path of MAPPABLE_PATHS) expect(error, path).to.include(path);
    expect(error).to.include(`${ENTERPRISE_URN}:<attribute>`);
    expect(error.split('the paths the sync can map are').length).to.equal(2);
  });

  it('does not list the paths when every key is a path it can map', () => {
    expect(errorOf(file({ attributes: { title: 'job title' } }))).not.to.include('the paths the sync can map');
  });

  it('says where "active" comes from instead of listing the paths', () => {
    const error = errorOf(file({ attributes: { active: 'userAccountControl' } }));
    expect(error).to.equal('Invalid sync mapping file: attributes["active"] cannot be mapped: "active" comes from the account flags (userAccountControl, accountExpires)');
  });

  it('does not repeat a problem', () => {
    const error = errorOf(file({ groups: [{ group: { guid: GUID }, role: '' }] }));
    expect(error.split('groups[0].role').length).to.equal(2);
  });
});
