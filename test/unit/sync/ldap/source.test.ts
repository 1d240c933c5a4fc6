/**
 * readDirectory against a scripted fake: the order of requests, the filters and controls it sends, and how it
 * shapes answers — including AD behaviour the Samba test DC does not show (MaxValRange truncation, MaxPageSize).
 * The integration suite (test/integration/sync/directory-source.test.ts) runs it against a real DC.
 */
import { expect } from 'chai';
import { NoSuchObjectError, type Entry } from 'ldapts';
import { ShowDeletedControl } from '../../../../sync/ldap/controls';
import { guidToBytes } from '../../../../sync/ldap/guid';
import { sidToBytes } from '../../../../sync/ldap/sid';
import {
  DirectoryReadError, readDirectory, readGroupMembers, WatermarkMismatchError, type ReadDirectoryOptions,
} from '../../../../sync/ldap/source';
import type { Watermark } from '../../../../sync/types';
import { FakeLdap, rangedMemberAttribute, type FakeSearch } from './fake-ldap';

const NC = 'DC=example,DC=com';
const NTDS = `CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,${NC}`;
const INVOCATION = '6f2a1c3e-0b1d-4e5f-8a9b-0c1d2e3f4a5b';
const SCOPE = `OU=Staff,${NC}`;
const GROUP_DN = `CN=Everyone Big,OU=Groups,${NC}`;

const guid = (n: number): string => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;

function user(n: number, extra: Record<string, string | string[] | Buffer> = {}, parent = SCOPE): Entry {
  return {
    dn: `CN=u${n},${parent}`,
    objectGUID: guidToBytes(guid(n)),
    uSNChanged: String(5000 + n),
    sAMAccountName: `u${n}`,
    mail: `u${n}@example.com`,
    ...extra,
  };
}

interface World {
  usn: number;
  users: Entry[];
  /** Users changed anywhere in the domain (the outOfScope probe). */
  changedAnywhere: Entry[];
  tombstones: Entry[];
  groupMembers: string[];
  /** memberOf of users past the first chunk, by user DN. */
  memberOf: Record<string, string[]>;
  maxValRange: number | null;
}

function world(overrides: Partial<World> = {}): World {
  return { usn: 9000, users: [], changedAnywhere: [], tombstones: [], groupMembers: [], memberOf: {}, maxValRange: 1500, ...overrides };
}

function fake(w: World): FakeLdap {
  return new FakeLdap(answers(w));
}

/** How the scripted directory answers a search. */
function answers(w: World): (s: FakeSearch) => Entry[] {
  return (s: FakeSearch) => {
    if (s.base === '' && s.options.scope === 'base') {
      return [{
        dn: '',
        highestCommittedUSN: String(w.usn),
        dsServiceName: NTDS,
        dnsHostName: 'dc1.example.com',
        defaultNamingContext: NC,
        namingContexts: [NC, `CN=Configuration,${NC}`, `CN=Schema,CN=Configuration,${NC}`],
      }];
    }
    if (s.base === NTDS) return [{ dn: NTDS, invocationId: guidToBytes(INVOCATION) }];
    if (s.base === GROUP_DN) {
      const requested = (s.options.attributes ?? []).find((a) => a.startsWith('member;'));
      const header = { dn: GROUP_DN, objectGUID: guidToBytes(guid(900)), cn: 'Everyone Big', uSNChanged: '7000' };
      if (requested === undefined) return [header];
      const members = rangedMemberAttribute(w.groupMembers, requested, w.maxValRange);
      if (s.options.attributes?.length === 1) return [{ ...members, dn: GROUP_DN }];
      return [{ ...members, dn: GROUP_DN, objectGUID: guidToBytes(guid(900)), cn: 'Everyone Big', uSNChanged: '7000' }];
    }
    if (s.base.startsWith('CN=Missing')) throw new NoSuchObjectError('no such object');
    if (s.base === SCOPE) return w.users;
    const ranged = (s.options.attributes ?? []).find((a) => a.startsWith('memberOf;'));
    if (ranged !== undefined) {
      // A user's memberOf past the first chunk, AD-style (rangedMemberAttribute speaks of member).
      const chunk = rangedMemberAttribute(w.memberOf[s.base] ?? [], ranged.replace(/^memberOf/, 'member'), w.maxValRange);
      return [Object.fromEntries(Object.entries(chunk).map(([name, value]) => [name.replace(/^member/, 'memberOf'), value])) as Entry];
    }
    if (s.base === NC && s.controls.some((c) => c instanceof ShowDeletedControl)) return w.tombstones;
    if (s.base === NC && s.filter.includes('objectCategory=person')) return w.changedAnywhere;
    if (s.base === NC) return [];
    throw new NoSuchObjectError(`no such object ${s.base}`);
  };
}

const options = (overrides: Partial<ReadDirectoryOptions> = {}): ReadDirectoryOptions => ({
  baseDns: [SCOPE],
  userFilter: '(&(objectCategory=person)(objectClass=user))',
  groupFilter: '(objectClass=group)',
  groupDns: [GROUP_DN],
  attributes: ['samaccountname', 'mail', 'title', 'objectsid', 'objectguid'],
  mode: 'full',
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('sync/ldap/source (scripted directory)', () => {
  it('reads the rootDSE and the invocationId before any object', async () => {
    const ldap = fake(world({ users: [user(1)] }));
    const read = await readDirectory(ldap, options());
    expect(ldap.searches[0]?.base).to.equal('');
    expect(ldap.searches[0]?.options.attributes).to.include.members(['highestCommittedUSN', 'dsServiceName', 'dnsHostName']);
    expect(ldap.searches[1]?.base).to.equal(NTDS);
    expect(ldap.searches.slice(2).every((s) => s.base !== '' && s.base !== NTDS)).to.equal(true);
    expect(read.watermark).to.deep.equal({ invocationId: INVOCATION, highestCommittedUsn: 9000, server: 'dc1.example.com' });
  });

  it('pages user searches at 500 by default, at most 1000', async () => {
    const ldap = fake(world({ users: Array.from({ length: 1234 }, (_, i) => user(i)) }));
    const read = await readDirectory(ldap, options({ groupDns: [] }));
    expect(read.users).to.have.length(1234);
    const search = ldap.searches.find((s) => s.base === SCOPE);
    expect(search?.paged).to.equal(true);
    expect(search?.options.paged).to.deep.equal({ pageSize: 500 });
    expect(search?.options.scope).to.equal('sub');
    for (const pageSize of [0, 1001, 2.5]) {
      expect(await rejection(readDirectory(fake(world()), options({ pageSize })))).to.be.instanceOf(DirectoryReadError);
    }
  });

  it('asks the DC for no time limit on paged searches (ldapts would ask for 10 s, too short for a large directory)', async () => {
    const ldap = fake(world({ users: [user(1)], changedAnywhere: [user(1)] }));
    await readDirectory(ldap, options({ groupDns: [] }));
    await readDirectory(ldap, options({ groupDns: [], mode: 'delta', since: { invocationId: INVOCATION, highestCommittedUsn: 10, server: '' } }));
    const paged = ldap.searches.filter((s) => s.paged);
    expect(paged.length).to.be.greaterThan(2);
    for (const search of paged) expect(search.options.timeLimit, `${search.base} ${search.filter}`).to.equal(0);
  });

  it('shapes users: anchor from objectGUID, lower-case attributes as strings, absent ones empty', async () => {
    const sid = 'S-1-5-21-1-2-3-1104';
    const ldap = fake(world({ users: [user(7, { objectSid: sidToBytes(sid), Title: ['Boss'] }), user(8)] }));
    const [u, plain] = (await readDirectory(ldap, options({ groupDns: [] }))).users;
    expect(plain?.attributes).to.deep.equal({ samaccountname: ['u8'], mail: ['u8@example.com'], title: [], objectsid: [] });
    expect(u).to.deep.equal({
      anchor: guid(7),
      dn: `CN=u7,${SCOPE}`,
      usnChanged: 5007,
      attributes: { samaccountname: ['u7'], mail: ['u7@example.com'], title: ['Boss'], objectsid: [sid] },
    });
    const search = ldap.searches.find((s) => s.base === SCOPE);
    expect(search?.options.attributes).to.include.members(['objectGUID', 'uSNChanged', 'samaccountname', 'objectsid']);
    expect(search?.options.explicitBufferAttributes).to.include.members(['objectGUID', 'objectSid']);
  });

  it('reads each user once when base DNs overlap', async () => {
    const ldap = fake(world({ users: [user(1), user(2)] }));
    const read = await readDirectory(ldap, options({ baseDns: [SCOPE, SCOPE], groupDns: [] }));
    expect(read.users.map((u) => u.anchor)).to.deep.equal([guid(1), guid(2)]);
  });

  it('refuses a user without objectGUID and a base DN that does not exist', async () => {
    const noGuid = fake(world({ users: [{ dn: `CN=x,${SCOPE}`, uSNChanged: '1' }] }));
    expect((await rejection(readDirectory(noGuid, options({ groupDns: [] })))).message).to.match(/has no objectGUID/);
    const missing = await rejection(readDirectory(fake(world()), options({ baseDns: [`CN=Missing,${NC}`] })));
    expect(missing).to.be.instanceOf(DirectoryReadError);
    expect(missing.message).to.match(/base DN CN=Missing,DC=example,DC=com does not exist/);
  });

  it('reads a large group through AD-style truncated ranges', async () => {
    const members = Array.from({ length: 4321 }, (_, i) => `CN=u${i},${SCOPE}`);
    const ldap = fake(world({ groupMembers: members, maxValRange: 1000 }));
    const read = await readDirectory(ldap, options());
    expect(read.groups).to.have.length(1);
    expect(read.groups[0]).to.deep.include({ anchor: guid(900), dn: GROUP_DN, name: 'Everyone Big', usnChanged: 7000 });
    expect(read.groups[0]?.memberDns).to.deep.equal(members);
    const requested = ldap.searches.filter((s) => s.base === GROUP_DN).map((s) => s.options.attributes?.find((a) => a.startsWith('member')));
    expect(requested).to.deep.equal(['member;range=0-1499', 'member;range=1000-2499', 'member;range=2000-3499',
      'member;range=3000-4499', 'member;range=4000-5499']);
  });

  it('leaves out a configured group that does not exist', async () => {
    const read = await readDirectory(fake(world()), options({ groupDns: [`CN=Missing Group,${NC}`] }));
    expect(read.groups).to.deep.equal([]);
  });

  describe('delta', () => {
    const since: Watermark = { invocationId: INVOCATION.toUpperCase(), highestCommittedUsn: 8000, server: 'dc1.example.com' };

    it('with the default user filter, reads the users changed anywhere once; those under no base DN are out of scope', async () => {
      const moved = user(3, {}, `OU=Former,${NC}`);
      const ldap = fake(world({ users: [user(1)], changedAnywhere: [user(1), moved, moved] }));
      const read = await readDirectory(ldap, options({ mode: 'delta', since }));
      expect(read.mode).to.equal('delta');
      expect(read.users.map((u) => u.anchor)).to.deep.equal([guid(1)]);
      expect(read.users[0]?.attributes.mail).to.deep.equal(['u1@example.com']);
      expect(read.outOfScope).to.deep.equal([{ anchor: guid(3), dn: moved.dn }]);
      const anywhere = ldap.searches.filter((s) => s.base === NC && s.filter.includes('objectCategory=person'));
      expect(anywhere.map((s) => s.filter)).to.deep.equal(['(&(&(objectCategory=person)(objectClass=user))(uSNChanged>=8001))']);
      expect(anywhere[0]?.options.attributes).to.include.members(['objectGUID', 'uSNChanged', 'mail', 'memberOf']);
      // The one user under no base DN is asked for under each base DN, by GUID, before it counts as gone.
      const scoped = ldap.searches.filter((s) => s.base === SCOPE);
      expect(scoped.map((s) => s.filter)).to.deep.equal([
        '(&(&(&(objectCategory=person)(objectClass=user))(uSNChanged>=8001))(|(objectGUID=\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\03)))',
      ]);
      expect(scoped[0]?.options.attributes).to.deep.equal(['objectGUID']);
    });

    it('keeps in scope a user the DC finds under a base DN written another way than the DN it returned', async () => {
      // The base DN escapes a character the DC writes plainly: by text the user is under no base DN.
      const base = 'OU=Staff\\2C Berlin,DC=example,DC=com';
      const inBerlin = user(4, {}, 'OU=Staff\\, Berlin,DC=example,DC=com');
      const ldap = new FakeLdap((s) => (s.base === base ? [inBerlin] : answers(world({ changedAnywhere: [inBerlin] }))(s)));
      const read = await readDirectory(ldap, options({ mode: 'delta', since, baseDns: [base], groupDns: [] }));
      expect(read.users.map((u) => [u.anchor, u.dn])).to.deep.equal([[guid(4), inBerlin.dn]]);
      expect(read.outOfScope).to.deep.equal([]);
    });

    it('with a scope filter of its own, reads the changed users in scope, then the users changed anywhere that are not', async () => {
      const disabled = user(5);
      const filter = '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';
      const ldap = fake(world({ users: [user(1)], changedAnywhere: [user(1), disabled] }));
      const read = await readDirectory(ldap, options({ mode: 'delta', since, userFilter: filter }));
      expect(read.users.map((u) => u.anchor)).to.deep.equal([guid(1)]);
      expect(read.outOfScope).to.deep.equal([{ anchor: guid(5), dn: disabled.dn }]);
      const scoped = ldap.searches.find((s) => s.base === SCOPE);
      expect(scoped?.filter).to.equal(`(&${filter}(uSNChanged>=8001))`);
      const anywhere = ldap.searches.find((s) => s.base === NC && s.filter.includes('objectCategory=person'));
      expect(anywhere?.filter).to.equal('(&(&(objectCategory=person)(objectClass=user))(uSNChanged>=8001))');
      expect(anywhere?.options.attributes).to.deep.equal(['objectGUID']);
    });

    it('reads tombstones with the Show Deleted control and tells users from groups', async () => {
      const tomb = (n: number, classes: string[]): Entry => ({
        dn: `CN=x\\0ADEL:${guid(n)},CN=Deleted Objects,${NC}`, objectGUID: guidToBytes(guid(n)), objectClass: classes, uSNChanged: String(8100 + n),
      });
      const ldap = fake(world({ tombstones: [tomb(1, ['top', 'person', 'organizationalPerson', 'user']), tomb(2, ['top', 'group']), tomb(3, ['top', 'container'])] }));
      const read = await readDirectory(ldap, options({ mode: 'delta', since, groupDns: [] }));
      expect(read.tombstones).to.deep.equal([
        { anchor: guid(1), kind: 'user', usnChanged: 8101 },
        { anchor: guid(2), kind: 'group', usnChanged: 8102 },
      ]);
      const search = ldap.searches.find((s) => s.controls.some((c) => c instanceof ShowDeletedControl));
      expect(search?.base).to.equal(NC);
      expect(search?.controls[0]?.type).to.equal('1.2.840.113556.1.4.417');
      expect(search?.controls[0]?.critical).to.equal(true);
      expect(search?.filter).to.equal('(&(isDeleted=TRUE)(uSNChanged>=8001)(|(objectClass=user)(objectClass=group))(!(objectClass=computer)))');
    });

    it('reads the configured groups without members; readGroupMembers reads those asked for, in ranges', async () => {
      const members = Array.from({ length: 2500 }, (_, i) => `CN=u${i},${SCOPE}`);
      const ldap = fake(world({ groupMembers: members, maxValRange: 1000 }));
      const read = await readDirectory(ldap, options({ mode: 'delta', since }));
      expect(read.groups).to.deep.equal([{
        anchor: guid(900), dn: GROUP_DN, name: 'Everyone Big', usnChanged: 7000, memberDns: [], membersUnread: true, nestedGroupDns: [],
      }]);
      const asked = (): string[] => ldap.searches.flatMap((s) => s.options.attributes ?? []).filter((a) => a.toLowerCase().startsWith('member;'));
      expect(asked(), 'no member list read').to.deep.equal([]);
      expect(await readGroupMembers(ldap, read.groups, new Set())).to.deep.equal(read.groups);
      expect(asked(), 'none asked for').to.deep.equal([]);
      const [whole] = await readGroupMembers(ldap, read.groups, new Set([guid(900)]));
      expect(whole).to.deep.equal({ anchor: guid(900), dn: GROUP_DN, name: 'Everyone Big', usnChanged: 7000, memberDns: members, nestedGroupDns: [] });
      expect(asked()).to.deep.equal(['member;range=0-1499', 'member;range=1000-2499', 'member;range=2000-3499']);
    });

    it('reads changed users with their memberOf, following AD-style ranges after the paged search', async () => {
      const groups = Array.from({ length: 1800 }, (_, i) => `CN=g${i},${NC}`);
      const ranged = user(1, { 'memberOf;range=0-999': groups.slice(0, 1000) });
      const changed = [ranged, user(2, { memberOf: ['CN=g1,' + NC] }), user(3)];
      const ldap = fake(world({ users: changed, changedAnywhere: changed, memberOf: { [ranged.dn]: groups }, maxValRange: 1000 }));
      const read = await readDirectory(ldap, options({ mode: 'delta', since, groupDns: [] }));
      expect(read.users.map((u) => [u.anchor, u.memberOf?.length])).to.deep.equal([[guid(1), 1800], [guid(2), 1], [guid(3), 0]]);
      expect(read.users[0]?.memberOf).to.deep.equal(groups);
      expect(read.users[0]?.attributes).to.not.have.property('memberof');
      expect(ldap.searches.find((s) => s.base === NC && s.filter.includes('objectCategory=person'))?.options.attributes).to.include('memberOf');
      const follow = ldap.searches.filter((s) => s.base === ranged.dn).map((s) => s.options.attributes);
      expect(follow).to.deep.equal([['memberOf;range=1000-2499']]);
    });

    it('needs a watermark from this DC that is not ahead of it', async () => {
      expect(await rejection(readDirectory(fake(world()), options({ mode: 'delta' })))).to.be.instanceOf(DirectoryReadError);
      const other = await rejection(readDirectory(fake(world()), options({ mode: 'delta', since: { ...since, invocationId: guid(1) } })));
      expect(other).to.be.instanceOf(WatermarkMismatchError);
      expect(other.message).to.match(/run a full sync/);
      const ahead = await rejection(readDirectory(fake(world()), options({ mode: 'delta', since: { ...since, highestCommittedUsn: 9001 } })));
      expect(ahead).to.be.instanceOf(WatermarkMismatchError);
    });
  });

  it('refuses unusable options', async () => {
    for (const bad of [
      options({ baseDns: [] }),
      options({ userFilter: 'objectClass=user' }),
      options({ groupFilter: '' }),
      options({ memberRangeSize: 0 }),
    ]) {
      expect(await rejection(readDirectory(fake(world()), bad))).to.be.instanceOf(DirectoryReadError);
    }
  });
});
