import { expect } from 'chai';
import { dnKey, flattenMembers, isUnder, nestedClosure } from '../../../sync/nesting';
import type { DirectoryGroup } from '../../../sync/types';
import { adGroup } from './helpers';

describe('sync nesting: dnKey()', () => {
  const same: ReadonlyArray<readonly [string, string]> = [
    ['CN=Ann Lee,OU=Staff,DC=corp,DC=example', 'cn=ann lee,ou=staff,dc=corp,dc=example'],
    ['CN=Ann Lee, OU=Staff, DC=corp, DC=example', 'CN=Ann Lee,OU=Staff,DC=corp,DC=example'],
    ['CN = Ann Lee , OU = Staff,DC=corp', 'CN=Ann Lee,OU=Staff,DC=corp'],
    ['cn=a+sn=b,dc=x', 'CN=A + SN=B,DC=X'],
    ['CN=A;DC=x', 'CN=A,DC=x'],
  ];
  for (const [a, b] of same) {
    it(`treats "${a}" and "${b}" as the same DN`, () => {
      expect(dnKey(a)).to.equal(dnKey(b));
    });
  }

  const different: ReadonlyArray<readonly [string, string]> = [
    ['CN=Lee\\, Ann,OU=Staff,DC=corp', 'CN=Lee,CN=Ann,OU=Staff,DC=corp'],
    ['CN=Ann Lee,OU=Staff,DC=corp', 'CN=AnnLee,OU=Staff,DC=corp'],
    ['CN=A,OU=Staff,DC=corp', 'CN=A,OU=Staff,DC=corp2'],
    ['CN=A\\ ,DC=x', 'CN=A,DC=x'],
  ];
  for (const [a, b] of different) {
    it(`keeps "${a}" and "${b}" apart`, () => {
      expect(dnKey(a)).not.to.equal(dnKey(b));
    });
  }
});

describe('sync nesting: isUnder()', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['CN=Sales,OU=Roles,DC=corp', 'OU=Roles,DC=corp', true],
    ['CN=Sales,OU=EMEA,OU=Roles,DC=corp', 'OU=Roles,DC=corp', true],
    ['cn=sales,ou=roles,dc=corp', 'OU=Roles, DC=Corp', true],
    ['OU=Roles,DC=corp', 'OU=Roles,DC=corp', false],
    ['CN=Sales,OU=OtherRoles,DC=corp', 'OU=Roles,DC=corp', false],
    ['CN=Sales,OU=Roles,DC=corp2', 'OU=Roles,DC=corp', false],
    ['CN=Sales,OU=Groups,DC=corp', 'OU=Roles,DC=corp', false],
    ['CN=X,OU=Roles,DC=corp', '', false],
    ['CN=a\\,OU=Roles,DC=corp', 'OU=Roles,DC=corp', false],
    ['CN=a\\\\,OU=Roles,DC=corp', 'OU=Roles,DC=corp', true],
  ];
  for (const [dn, base, expected] of cases) {
    it(`says "${dn}" is ${expected ? '' : 'not '}under "${base}"`, () => {
      expect(isUnder(dn, base)).to.equal(expected);
    });
  }
});

describe('sync nesting: flattenMembers()', () => {
  const index = (groups: readonly DirectoryGroup[]): Map<string, DirectoryGroup> =>
    new Map(groups.map((group) => [dnKey(group.dn), group]));
  const user = (name: string): string => `CN=${name},OU=Staff,DC=corp,DC=example`;
  const keys = (names: readonly string[]): string[] => names.map((name) => dnKey(user(name))).sort();

  it('returns the direct members of a group without nesting', () => {
    const group = adGroup('A', [user('ann'), user('bob')]);
    expect([...flattenMembers(group, index([group]))].sort()).to.deep.equal(keys(['ann', 'bob']));
  });

  it('returns nothing for an empty group', () => {
    const group = adGroup('A', []);
    expect(flattenMembers(group, index([group])).size).to.equal(0);
  });

  it('includes members of nested groups, three levels deep, but not the groups themselves', () => {
    const c = adGroup('C', [user('cat')]);
    const b = adGroup('B', [user('bob'), c.dn]);
    const a = adGroup('A', [user('ann'), b.dn]);
    expect([...flattenMembers(a, index([a, b, c]))].sort()).to.deep.equal(keys(['ann', 'bob', 'cat']));
  });

  it('terminates on a cycle of two groups and returns both groups\' members', () => {
    const aDn = 'CN=A,OU=Groups,DC=corp,DC=example';
    const bDn = 'CN=B,OU=Groups,DC=corp,DC=example';
    const a = adGroup('A', [user('ann'), bDn]);
    const b = adGroup('B', [user('bob'), aDn]);
    expect([...flattenMembers(a, index([a, b]))].sort()).to.deep.equal(keys(['ann', 'bob']));
    expect([...flattenMembers(b, index([a, b]))].sort()).to.deep.equal(keys(['ann', 'bob']));
  });

  it('terminates on a group that contains itself', () => {
    const dn = 'CN=Self,OU=Groups,DC=corp,DC=example';
    const self = adGroup('Self', [dn, user('ann')], { dn });
    expect([...flattenMembers(self, index([self]))]).to.deep.equal(keys(['ann']));
  });

  it('terminates on a long cycle and counts a diamond\'s shared member once', () => {
    const groups: DirectoryGroup[] = [];
    for (let i = 0; i < 50; i += 1) {
      groups.push(adGroup(`G${i}`, [user(`u${i}`), `CN=G${(i + 1) % 50},OU=Groups,DC=corp,DC=example`, user('shared')]));
    }
    const [first] = groups;
    expect(flattenMembers(first as DirectoryGroup, index(groups)).size).to.equal(51);
  });

  it('matches nested group DNs case- and space-insensitively', () => {
    const b = adGroup('B', [user('bob')]);
    const a = adGroup('A', ['cn=b, ou=groups, dc=corp, dc=example']);
    expect([...flattenMembers(a, index([a, b]))]).to.deep.equal(keys(['bob']));
  });

  it('keeps the DN of a group it did not read as a leaf', () => {
    const a = adGroup('A', ['CN=Unread,OU=Groups,DC=corp,DC=example']);
    expect([...flattenMembers(a, index([a]))]).to.deep.equal([dnKey('CN=Unread,OU=Groups,DC=corp,DC=example')]);
  });

  it('flattens 2,000 members of 20 nested groups quickly', () => {
    const groups: DirectoryGroup[] = [];
    for (let g = 0; g < 20; g += 1) groups.push(adGroup(`N${g}`, Array.from({ length: 100 }, (_, i) => user(`n${g}-${i}`))));
    const top = adGroup('Top', groups.map((group) => group.dn));
    expect(flattenMembers(top, index([top, ...groups])).size).to.equal(2000);
  });
});

describe('sync nesting: nestedClosure()', () => {
  const index = (groups: DirectoryGroup[]): Map<string, DirectoryGroup> => new Map(groups.map((group) => [dnKey(group.dn), group]));
  const unread = (group: DirectoryGroup, nested: DirectoryGroup[]): DirectoryGroup => ({ ...group, memberDns: [], membersUnread: true, nestedGroupDns: nested.map((g) => g.dn) });

  it('follows member lists where they were read and the nested groups found where they were not, through a cycle', () => {
    const bottom = adGroup('Bottom', ['CN=u1']);
    const middle = unread(adGroup('Middle', []), [bottom]);
    const top = adGroup('Top', ['CN=u2', middle.dn.toUpperCase()]);
    const cycle = unread(bottom, [top]);
    const closure = nestedClosure(top, index([top, middle, cycle, adGroup('Unrelated', [])]));
    expect([...closure.values()].map((group) => group.name).sort()).to.deep.equal(['Bottom', 'Middle', 'Top']);
  });

  it('is the group alone when nothing is nested in it', () => {
    const alone = unread(adGroup('Alone', []), []);
    expect([...nestedClosure(alone, index([alone])).keys()]).to.deep.equal([dnKey(alone.dn)]);
  });
});
