import { expect } from 'chai';
import { loadMapping } from '../../../sync/mapping';
import { parseMappingFile } from '../../../sync/mapping-file';

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

describe('sync mapping file: accepted files', () => {
  const good: ReadonlyArray<readonly [string, unknown]> = [
    ['an empty rule list', { groups: [] }],
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
});

describe('sync mapping file: refused files name the bad key', () => {
  const bad: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['text that is not JSON', '{"groups": [', /not JSON/],
    ['a JSON array', '[]', /the file must be an object/],
    ['a file without groups', file({ attributes: {} }), /groups is required/],
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

  it('does not repeat a problem', () => {
    const error = errorOf(file({ groups: [{ group: { guid: GUID }, role: '' }] }));
    expect(error.split('groups[0].role').length).to.equal(2);
  });
});
