/**
 * sync/ldap against a real directory: the throw-away Samba AD DC that `npm test` starts (TEST_LDAP_*).
 * Connection security (verified LDAPS, StartTLS, plain refused), full reads (paging, ranged `member` of a
 * 1,600-member group, attribute shapes), and delta reads (changed, moved out, deleted → exactly those).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Client } from 'ldapts';
import type { DirectoryRead, Watermark } from '../../../sync/types';
import { accountExpiresToDate, isDisabled } from '../../../sync/ldap/account-control';
import { LdapConfigError, LdapConnectError, openLdap } from '../../../sync/ldap/connection';
import { isCanonicalGuid } from '../../../sync/ldap/guid';
import {
  readDirectory, readGroupMembers, readServerState, WatermarkMismatchError, type LdapSearcher, type ReadDirectoryOptions,
} from '../../../sync/ldap/source';
import { TestDirectory, testConnectionConfig, testDirectoryEnv } from '../../support/directory';

const USER_FILTER = '(&(objectCategory=person)(objectClass=user))';
const ENABLED_USER_FILTER = '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';
const GROUP_FILTER = '(objectClass=group)';
const ATTRIBUTES = ['samaccountname', 'userprincipalname', 'givenname', 'sn', 'displayname', 'mail', 'title', 'department',
  'employeeid', 'telephonenumber', 'manager', 'useraccountcontrol', 'accountexpires', 'objectsid'];
const BIG = 1600;

async function expectRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const anchors = (items: readonly { anchor: string }[]): string[] => items.map((i) => i.anchor).sort();

describe('sync/ldap against the test directory (Samba AD)', function () {
  this.timeout(60_000);

  let dir: TestDirectory;
  let client: Client;
  let suite: string;
  let scope: string; // the sync scope (base DN)
  let outside: string; // under the suite, outside the scope
  let groupsOu: string;
  let bigGroup: string;
  let smallGroup: string;
  let manager: string;
  let special: { disabled: string; expiring: string; full: string };
  let bigMembers: string[];
  const expires = new Date('2031-05-06T07:08:09.123Z');

  const options = (overrides: Partial<ReadDirectoryOptions> = {}): ReadDirectoryOptions => ({
    baseDns: [scope],
    userFilter: USER_FILTER,
    groupFilter: GROUP_FILTER,
    groupDns: [bigGroup, smallGroup],
    attributes: ATTRIBUTES,
    mode: 'full',
    ...overrides,
  });

  before(async function () {
    this.timeout(180_000);
    testDirectoryEnv(); // fails with a clear message when the run has no test directory
    dir = await TestDirectory.open();
    suite = await dir.createSuiteOu('directory-source');
    scope = await dir.createOu('scope', suite);
    outside = await dir.createOu('outside', suite);
    groupsOu = await dir.createOu('groups', suite);
    manager = await dir.createUser(scope, dir.sampleUser('boss', { title: 'Chief' }));
    special = {
      full: await dir.createUser(scope, dir.sampleUser('alice', {
        title: 'Engineer', department: 'R&D', employeeID: 'E-1001', telephoneNumber: '+1 555 0100', manager,
      })),
      disabled: await dir.createUser(scope, dir.sampleUser('bob', { enabled: false })),
      expiring: await dir.createUser(scope, dir.sampleUser('carol', { accountExpires: expires })),
    };
    bigMembers = await dir.createUsers(scope, BIG, (i) => ({ sAMAccountName: `m${String(i).padStart(5, '0')}`, givenName: `M${i}` }));
    bigGroup = await dir.createGroup(groupsOu, 'big', { members: bigMembers });
    smallGroup = await dir.createGroup(groupsOu, 'small', { members: [bigGroup, special.full, manager] });
    client = await openLdap(testConnectionConfig());
  });

  after(async () => {
    await client?.unbind().catch(() => undefined);
    await dir?.close();
  });

  describe('connection', () => {
    it('binds over LDAPS, verifying the certificate with the CA file and servername', async () => {
      const c = await openLdap(testConnectionConfig());
      try {
        const state = await readServerState(c);
        expect(isCanonicalGuid(state.invocationId)).to.equal(true);
        expect(state.highestCommittedUsn).to.be.greaterThan(0);
        expect(state.dnsHostName).to.equal('dc1.example.test');
        expect(state.dsServiceName).to.match(/^CN=NTDS Settings,CN=DC1,/);
      } finally {
        await c.unbind();
      }
    });

    it('refuses the server when the CA file is another CA', async () => {
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'scimd-wrong-ca-'));
      try {
        const caFile = path.join(tmp, 'ca.pem');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
          '-keyout', path.join(tmp, 'key.pem'), '-out', caFile, '-days', '1', '-subj', `/CN=${testDirectoryEnv().servername ?? 'x'}`],
        { stdio: 'ignore' });
        const error = await expectRejection(openLdap(testConnectionConfig({ caFile })));
        expect(error).to.be.instanceOf(LdapConnectError);
        expect(error.message).to.match(/^cannot connect/);
        expect((error.cause as { code?: string }).code).to.match(/VERIFY|SIGNATURE|SELF_SIGNED|CERT/);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('refuses the server without a CA file (the system CAs do not know it)', async () => {
      const config = { ...testConnectionConfig() };
      delete (config as { caFile?: string }).caFile;
      const error = await expectRejection(openLdap(config));
      expect(error).to.be.instanceOf(LdapConnectError);
      expect(error.message).to.include('set caFile');
    });

    it('refuses a certificate that does not name the host connected to (no servername override)', async () => {
      const config = { ...testConnectionConfig() };
      delete (config as { servername?: string }).servername;
      const error = await expectRejection(openLdap(config));
      expect(error).to.be.instanceOf(LdapConnectError);
      expect((error.cause as { code?: string }).code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('upgrades ldap:// with StartTLS, verified the same way', async () => {
      const host = new URL(testDirectoryEnv().url).hostname;
      const c = await openLdap(testConnectionConfig({ url: `ldap://${host}:389`, startTls: true }));
      try {
        expect((await readServerState(c)).highestCommittedUsn).to.be.greaterThan(0);
      } finally {
        await c.unbind();
      }
    });

    it('refuses plain ldap:// before connecting unless allowPlain; with it, the DC refuses the simple bind', async () => {
      const host = new URL(testDirectoryEnv().url).hostname;
      const plain = testConnectionConfig({ url: `ldap://${host}:389` });
      const refused = await expectRejection(openLdap(plain));
      expect(refused).to.be.instanceOf(LdapConfigError);
      expect(refused.message).to.include('allowPlain');
      const error = await expectRejection(openLdap({ ...plain, allowPlain: true }));
      expect(error).to.be.instanceOf(LdapConnectError);
      expect(error.message).to.match(/^LDAP bind refused/);
      expect(error.message).to.match(/Transport encryption required|Strong/i);
    });

    it('reports a wrong password as a refused bind, without the password', async () => {
      const password = 'Wrong-Password-123';
      const error = await expectRejection(openLdap(testConnectionConfig({ bindPassword: password })));
      expect(error).to.be.instanceOf(LdapConnectError);
      expect(error.message).to.include('[invalid credentials]');
      expect(error.message).not.to.include(password);
      expect(error.message).not.to.include(testDirectoryEnv().bindPassword);
    });
  });

  describe('full read', () => {
    let read: DirectoryRead;

    before(async () => {
      read = await readDirectory(client, options());
    });

    it('returns every user under the base DN, anchored by objectGUID', async () => {
      expect(read.mode).to.equal('full');
      expect(read.users).to.have.length(BIG + 4);
      const alice = read.users.find((u) => u.dn === special.full);
      expect(alice).to.not.equal(undefined);
      expect(alice?.anchor).to.equal(await dir.guidOf(special.full));
      expect(new Set(anchors(read.users)).size).to.equal(read.users.length);
      expect(read.tombstones).to.deep.equal([]);
      expect(read.outOfScope).to.deep.equal([]);
    });

    it('returns the requested attributes lower-cased, as strings (SIDs as S-1-5-…), uSNChanged as a number', () => {
      const alice = read.users.find((u) => u.dn === special.full);
      expect(alice?.attributes).to.deep.include({
        samaccountname: ['alice'],
        userprincipalname: ['alice@example.test'],
        givenname: ['Given alice'],
        sn: ['Sur alice'],
        displayname: ['Given alice Sur alice'],
        mail: ['alice@example.test'],
        title: ['Engineer'],
        department: ['R&D'],
        employeeid: ['E-1001'],
        telephonenumber: ['+1 555 0100'],
        manager: [manager],
        useraccountcontrol: ['512'],
      });
      expect(Object.keys(alice?.attributes ?? {}).sort()).to.deep.equal([...ATTRIBUTES].sort());
      expect(alice?.attributes.objectsid?.[0]).to.match(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
      expect(alice?.usnChanged).to.be.a('number').greaterThan(0);
      const member = read.users.find((u) => u.dn === bigMembers[0]);
      expect(member?.attributes.title).to.deep.equal([]); // absent attributes: empty
    });

    it('returns disabled users with userAccountControl 514 and accountExpires as FILETIME', () => {
      const bob = read.users.find((u) => u.dn === special.disabled);
      expect(bob?.attributes.useraccountcontrol).to.deep.equal(['514']);
      expect(isDisabled(bob?.attributes.useraccountcontrol?.[0] ?? '0')).to.equal(true);
      const carol = read.users.find((u) => u.dn === special.expiring);
      expect(accountExpiresToDate(carol?.attributes.accountexpires?.[0])).to.deep.equal(expires);
    });

    it('reads the 1,600 members of a group completely, through member;range=…', () => {
      const big = read.groups.find((g) => g.dn === bigGroup);
      expect(big?.name).to.equal('big');
      expect(big?.memberDns).to.have.length(BIG);
      expect([...(big?.memberDns ?? [])].sort()).to.deep.equal([...bigMembers].sort());
    });

    it('follows many ranges when the range size is small', async () => {
      const again = await readDirectory(client, options({ memberRangeSize: 97, groupDns: [bigGroup] }));
      const big = again.groups.find((g) => g.dn === bigGroup);
      expect([...(big?.memberDns ?? [])].sort()).to.deep.equal([...bigMembers].sort());
    });

    it('returns nested groups as member DNs, not flattened', () => {
      const small = read.groups.find((g) => g.dn === smallGroup);
      expect([...(small?.memberDns ?? [])].sort()).to.deep.equal([bigGroup, special.full, manager].sort());
    });

    it('finds groups by objectGUID and under an OU; a configured DN that does not exist is absent', async () => {
      const bigGuid = await dir.guidOf(bigGroup);
      const byGuid = await readDirectory(client, options({ groupDns: [], groupGuids: [bigGuid.toUpperCase()] }));
      expect(byGuid.groups.map((g) => g.dn)).to.deep.equal([bigGroup]);
      expect(byGuid.groups[0]?.anchor).to.equal(bigGuid);
      const under = await readDirectory(client, options({ groupDns: [`CN=missing,${groupsOu}`], groupsUnder: [groupsOu] }));
      expect(under.groups.map((g) => g.name).sort()).to.deep.equal(['big', 'small']);
      expect(under.groups.find((g) => g.name === 'big')?.memberDns).to.have.length(BIG);
    });

    it('pages through the users (a small page size gives the same result)', async () => {
      const paged = await readDirectory(client, options({ pageSize: 97, groupDns: [] }));
      expect(anchors(paged.users)).to.deep.equal(anchors(read.users));
    });

    it('ends at a watermark naming the DC', () => {
      expect(isCanonicalGuid(read.watermark.invocationId)).to.equal(true);
      expect(read.watermark.highestCommittedUsn).to.be.greaterThan(0);
      expect(read.watermark.server).to.equal('dc1.example.test');
      const highest = Math.max(...read.users.map((u) => u.usnChanged));
      expect(read.watermark.highestCommittedUsn).to.be.at.least(highest);
    });
  });

  describe('delta read', () => {
    let start: Watermark;

    beforeEach(async () => {
      start = (await readDirectory(client, options({ groupDns: [] }))).watermark;
    });

    it('returns exactly the changed (with memberOf), the moved-out and the deleted user; the groups without members, read whole on request', async () => {
      const changed = bigMembers[10] as string;
      const movedOut = bigMembers[11] as string;
      const deleted = bigMembers[12] as string;
      const [changedGuid, movedGuid, deletedGuid] = await Promise.all([changed, movedOut, deleted].map((dn) => dir.guidOf(dn)));
      await dir.modify(changed, { title: 'Promoted' });
      const movedDn = await dir.move(movedOut, outside);
      await dir.delete(deleted);

      const delta = await readDirectory(client, options({ mode: 'delta', since: start }));
      expect(delta.mode).to.equal('delta');
      expect(delta.users.map((u) => [u.anchor, u.dn, u.attributes.title])).to.deep.equal([[changedGuid, changed, ['Promoted']]]);
      expect(delta.outOfScope).to.deep.equal([{ anchor: movedGuid, dn: movedDn }]);
      expect(delta.tombstones.map((t) => [t.anchor, t.kind])).to.deep.equal([[deletedGuid, 'user']]);
      expect(delta.tombstones[0]?.usnChanged).to.be.greaterThan(start.highestCommittedUsn);
      expect(delta.users[0]?.memberOf?.map((dn) => dn.toLowerCase())).to.deep.equal([bigGroup.toLowerCase()]);
      // A delta reads groups without members. None of the three changes moved the group's uSNChanged
      // (what a delta relies on): AD dropped the deleted user from it silently, the moved one is there
      // under its new DN.
      const header = delta.groups.find((g) => g.dn === bigGroup);
      expect(header).to.deep.include({ membersUnread: true, memberDns: [] });
      expect(header?.usnChanged).to.be.at.most(start.highestCommittedUsn);
      const big = (await readGroupMembers(client, delta.groups, new Set([header?.anchor ?? '']))).find((g) => g.dn === bigGroup);
      expect(big?.membersUnread).to.equal(undefined);
      expect(big?.memberDns).to.have.length(BIG - 1);
      expect(big?.memberDns).to.include(movedDn);
      expect(big?.memberDns).not.to.include(deleted);
      expect(delta.watermark.invocationId).to.equal(start.invocationId);
      expect(delta.watermark.highestCommittedUsn).to.be.greaterThan(start.highestCommittedUsn);

      const quiet = await readDirectory(client, options({ mode: 'delta', since: delta.watermark }));
      expect([quiet.users, quiet.outOfScope, quiet.tombstones]).to.deep.equal([[], [], []]);
      expect(quiet.groups).to.have.length(2);
      expect(quiet.watermark.highestCommittedUsn).to.equal(delta.watermark.highestCommittedUsn);
    });

    it('keeps a changed user in scope when the base DN is spelled otherwise than the DC writes it, and reads each changed user once', async () => {
      const changed = bigMembers[13] as string;
      await dir.modify(changed, { title: 'Respelled' });
      // Lower case, spaces after the commas, the OU's name hex-escaped in part: the same OU to the DC.
      const spelled = scope.toLowerCase().replace(/,/g, ', ').replace(/^ou=s/, 'ou=\\73');
      const searches: string[] = [];
      const counting: LdapSearcher = {
        search: (base, searchOptions, controls) => client.search(base, searchOptions, controls),
        searchPaginated: (base, searchOptions, controls) => {
          searches.push(String(base));
          return client.searchPaginated(base, searchOptions, controls);
        },
      };
      const delta = await readDirectory(counting, options({ mode: 'delta', since: start, baseDns: [spelled], groupDns: [] }));
      expect(delta.users.map((u) => [u.dn, u.attributes.title])).to.deep.equal([[changed, ['Respelled']]]);
      expect(delta.outOfScope).to.deep.equal([]);
      // One search of the naming context for the changed users, one by GUID under the base DN (its text did not match), the tombstones.
      expect(searches.filter((base) => base === spelled)).to.have.length(1);
    });

    it('returns a user moved into the scope, and one that no longer matches the filter as out of scope', async () => {
      const comer = await dir.createUser(outside, dir.sampleUser('comer'));
      start = (await readDirectory(client, options({ groupDns: [] }))).watermark;
      const comerDn = await dir.move(comer, scope);
      const disabled = bigMembers[20] as string;
      await dir.setEnabled(disabled, false);

      const delta = await readDirectory(client, options({ mode: 'delta', since: start, userFilter: ENABLED_USER_FILTER, groupDns: [] }));
      expect(delta.users.map((u) => u.dn)).to.deep.equal([comerDn]);
      expect(delta.outOfScope).to.deep.equal([{ anchor: await dir.guidOf(disabled), dn: disabled }]);
      expect(delta.tombstones).to.deep.equal([]);
    });

    it('returns a deleted group as a group tombstone', async () => {
      const doomed = await dir.createGroup(groupsOu, 'doomed', { members: [manager] });
      const guid = await dir.guidOf(doomed);
      start = (await readDirectory(client, options({ groupDns: [] }))).watermark;
      await dir.delete(doomed);
      const delta = await readDirectory(client, options({ mode: 'delta', since: start, groupDns: [] }));
      expect(delta.tombstones.map((t) => [t.anchor, t.kind])).to.deep.equal([[guid, 'group']]);
    });

    it('refuses a watermark from another DC (invocationId) or from the future', async () => {
      const other = { ...start, invocationId: '00000000-0000-0000-0000-000000000001' };
      expect(await expectRejection(readDirectory(client, options({ mode: 'delta', since: other }))))
        .to.be.instanceOf(WatermarkMismatchError);
      const ahead = { ...start, highestCommittedUsn: start.highestCommittedUsn + 1_000_000 };
      expect(await expectRejection(readDirectory(client, options({ mode: 'delta', since: ahead }))))
        .to.be.instanceOf(WatermarkMismatchError);
    });
  });
});
