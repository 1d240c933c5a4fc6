import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../../../src/config';
import { openDataSource } from '../../../src/db/data-source';
import { acquireLease, releaseLease } from '../../../src/db/lease';
import { ChangeRequests } from '../../../src/governance/change-requests';
import { applySyncRelease, requestSyncRelease } from '../../../src/governance/sync-release';
import { SYNC_LEASE, SyncRuns, type SyncRunView } from '../../../src/governance/sync-runs';
import { localOperatorContext, type ChangeContext } from '../../../src/identity/change-context';
import { applyRoleAssignment } from '../../../src/identity/role-assignments';
import { createLogger } from '../../../src/logger';
import { dateToAccountExpires } from '../../../sync/ldap/account-control';
import { runSync, SyncBusyError, type SyncRunOptions } from '../../../sync/run';
import { testDatabases } from '../../support/databases';
import { TestDirectory, testSyncLdapConfig } from '../../support/directory';

/** A normal-risk role within Batch sync's own permissions: the sync grants it from AD without approval. */
const HELP_DESK_ROLE = '00000000-0000-4000-8000-000000000004';
/** Carries permissions Batch sync lacks (audit:read…): a grant from AD waits for a person's approval. */
const AUDITOR_ROLE = '00000000-0000-4000-8000-000000000003';
const BIG_GROUP_SIZE = 1600;

/** The Active Directory sync against a real Samba AD DC, into a real database, run after run. */
for (const database of testDatabases()) {
  describe(`Active Directory sync into ${database.name}`, function () {
    this.timeout(180_000);
    let dir: TestDirectory;
    let dataSource: DataSource;
    let config: SyncConfig;
    let people: string;
    let outside: string;
    type Name = 'carol' | 'alice' | 'bob' | 'dave' | 'stranger' | 'bulk0' | 'bulk1' | 'auditors' | 'readers' | 'big' | 'child' | 'parent' | 'cycleA' | 'cycleB';
    const dn = {} as Record<Name, string>;
    const logger = createLogger('silent');

    const sync = (options: Partial<SyncRunOptions> = {}, overrides: Partial<SyncConfig> = {}): Promise<SyncRunView> =>
      runSync({ dataSource, config: { ...config, ...overrides }, logger }, { trigger: 'cli', ...options });
    const userByAnchor = async (anchor: string) => (await dataSource.query(
      'SELECT id, user_name, active, title, source, source_dn, manager_id, version FROM users WHERE source_anchor = ?', [anchor],
    ) as { id: string; user_name: string; active: number | boolean; title: string | null; source: string; source_dn: string; manager_id: string | null; version: number }[])[0];
    const roleMembers = async (roleName: string): Promise<string[]> => (await dataSource.query(
      `SELECT u.user_name AS name FROM role_members m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
       WHERE r.display_name_key = ? AND m.source = 'ad' ORDER BY u.user_name`, [roleName.toLowerCase()],
    ) as { name: string }[]).map((row) => row.name);
    const entriesOf = async (run: SyncRunView) => (await new SyncRuns(dataSource).entries(run.id, { page: 1, pageSize: 5000 })).items;
    // sAMAccountName is unique in the whole domain: each database's suite gets its own prefix.
    const p = database.name.slice(0, 1);
    const upn = (name: string) => `${p}${name}@${dir.dnsDomain}`;

    before(async () => {
      dir = await TestDirectory.open();
      const suite = await dir.createSuiteOu(`sync-${database.name}`);
      people = await dir.createOu('People', suite);
      outside = await dir.createOu('Elsewhere', suite);
      const groups = await dir.createOu('Roles', suite);
      dn.carol = await dir.createUser(people, dir.sampleUser(`${p}carol`, { title: 'Head of Sales' }));
      dn.alice = await dir.createUser(people, dir.sampleUser(`${p}alice`, { title: 'Clerk', department: 'Sales', employeeID: 'E-1', manager: dn.carol }));
      dn.bob = await dir.createUser(people, dir.sampleUser(`${p}bob`, { telephoneNumber: '+1 555 0100' }));
      dn.dave = await dir.createUser(people, dir.sampleUser(`${p}dave`, { enabled: false }));
      dn.stranger = await dir.createUser(outside, dir.sampleUser(`${p}stranger`));
      const bulk = await dir.createUsers(people, BIG_GROUP_SIZE, (i) => dir.sampleUser(`${p}bulk${String(i).padStart(4, '0')}`));
      dn.bulk0 = bulk[0] as string;
      dn.bulk1 = bulk[1] as string;
      dn.auditors = await dir.createGroup(suite, `${p} AD Help Desk`, { members: [dn.alice, dn.bob] });
      dn.readers = await dir.createGroup(suite, `${p} AD Auditors`, { members: [dn.carol] });
      dn.big = await dir.createGroup(groups, `${p} Everyone Big`, { members: bulk });
      dn.child = await dir.createGroup(groups, `${p} Nested Child`, { members: [dn.carol] });
      dn.parent = await dir.createGroup(groups, `${p} Nested Parent`, { members: [dn.child] });
      dn.cycleA = await dir.createGroup(groups, `${p} Cycle A`, { members: [dn.bob] });
      dn.cycleB = await dir.createGroup(groups, `${p} Cycle B`, { members: [dn.cycleA] });
      await dir.addMembers(dn.cycleA, [dn.cycleB]);

      const mappingFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'scimd-mapping-')), 'mapping.json');
      writeFileSync(mappingFile, JSON.stringify({
        groups: [
          { group: { dn: dn.auditors }, role: 'Help Desk Administrator' }, { group: { dn: dn.readers }, role: 'Auditor' },
          { groupsUnder: groups, createRoles: true },
        ],
      }));
      config = {
        ldap: testSyncLdapConfig(),
        baseDns: [people],
        userFilter: '(&(objectCategory=person)(objectClass=user))',
        groupFilter: '(objectClass=group)',
        mappingFile,
        deleteThreshold: 500,
        deleteThresholdPercent: 10,
        deletePolicy: 'deactivate',
        softMatchByUserName: false,
        schedulerEnabled: false,
      };
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
    });

    after(async () => {
      await dataSource?.destroy();
      await dir?.close();
    });

    it('creates every user in scope on the first (full) run, with roles from groups, nested and cyclic ones included', async () => {
      const run = await sync();
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.mode).to.equal('full');
      expect(run.modeReason).to.include('no watermark');
      expect(run.counters.created).to.equal(BIG_GROUP_SIZE + 4);
      expect(run.counters.errors).to.equal(0);
      const entries = await entriesOf(run);
      expect(entries.filter((entry) => entry.action === 'create')).to.have.length(run.counters.created);
      expect(entries.filter((entry) => entry.action === 'member-add')).to.have.length(run.counters.memberAdds);

      const alice = await userByAnchor(await dir.guidOf(dn.alice));
      const carol = await userByAnchor(await dir.guidOf(dn.carol));
      expect(alice).to.deep.include({ user_name: upn('alice'), title: 'Clerk', source: 'ad' });
      expect(alice?.manager_id).to.equal(carol?.id);
      expect(Boolean((await userByAnchor(await dir.guidOf(dn.dave)))?.active), 'dave is disabled in AD').to.equal(false);
      expect(await userByAnchor(await dir.guidOf(dn.stranger)), 'outside the base DN').to.equal(undefined);

      expect(await roleMembers('Help Desk Administrator')).to.deep.equal([upn('alice'), upn('bob')]);
      expect(await roleMembers(`${p} Everyone Big`)).to.have.length(BIG_GROUP_SIZE);
      expect(await roleMembers(`${p} Nested Parent`)).to.deep.equal([upn('carol')]);
      expect(await roleMembers(`${p} Cycle A`)).to.deep.equal([upn('bob')]);
      expect(await roleMembers(`${p} Cycle B`)).to.deep.equal([upn('bob')]);
      const audit = await dataSource.query("SELECT COUNT(*) AS n FROM audit_events WHERE actor_name = 'Batch sync' AND door = 'sync'") as { n: number | string }[];
      expect(Number(audit[0]?.n)).to.be.greaterThan(BIG_GROUP_SIZE);
    });

    it('holds back a governed grant from AD (Auditor carries permissions Batch sync lacks) for a person to approve', async () => {
      expect(await roleMembers('Auditor'), 'not granted by the sync alone').to.deep.equal([]);
      const requests = await dataSource.query(
        "SELECT id, requested_by_name, payload FROM change_requests WHERE kind = 'role-assignment' AND status = 'pending'",
      ) as { id: string; requested_by_name: string; payload: string }[];
      const carol = await userByAnchor(await dir.guidOf(dn.carol));
      expect(requests.map((request) => [request.requested_by_name, JSON.parse(request.payload)])).to.deep.equal([
        ['Batch sync', { userId: carol?.id, add: [AUDITOR_ROLE], remove: [], door: 'sync' }],
      ]);
      const runs = await new SyncRuns(dataSource).list({ limit: 1, offset: 0 });
      const skipped = (await entriesOf(runs.items[0] as SyncRunView)).filter((entry) => entry.action === 'skip' && entry.objectType === 'role');
      expect(skipped.map((entry) => entry.message)).to.deep.equal([
        `not granted yet: "Auditor" carries permissions Batch sync does not hold (service-accounts:read, audit:read), so a person approves it first (change request ${requests[0]?.id ?? ''})`,
      ]);
      const again = await sync({ mode: 'full' });
      expect(again.status).to.equal('succeeded');
      expect(await dataSource.query("SELECT id FROM change_requests WHERE status = 'pending'"), 'one request, not one per run').to.have.length(1);

      const approver: ChangeContext = {
        actor: { type: 'person', id: 'approver-id', name: 'vera', permissions: new Set(['approvals:decide']), manages: new Set() }, door: 'admin',
      };
      const approved = await new ChangeRequests(dataSource, { appliers: { 'role-assignment': applyRoleAssignment } }).approve(approver, requests[0]?.id ?? '');
      expect(approved.status).to.equal('approved');
      expect(await roleMembers('Auditor'), 'granted as Active Directory\'s, which takes it away when the group does').to.deep.equal([upn('carol')]);
      await dir.removeMembers(dn.readers, [dn.carol]);
      await sync();
      expect(await roleMembers('Auditor')).to.deep.equal([]);
    });

    it('reads only changes in a delta run: an attribute change and a rename inside the scope keep the user', async () => {
      const bobBefore = await userByAnchor(await dir.guidOf(dn.bob));
      await dir.modify(dn.alice, { title: 'Senior Clerk' });
      dn.bob = await dir.move(dn.bob, people, `CN=${p}robert`);
      const run = await sync();
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.mode).to.equal('delta');
      expect(run.counters.created).to.equal(0);
      expect(run.counters.updated).to.equal(2);
      expect(run.counters.read).to.be.lessThan(50);
      expect((await userByAnchor(await dir.guidOf(dn.alice)))?.title).to.equal('Senior Clerk');
      const bobAfter = await userByAnchor(await dir.guidOf(dn.bob));
      expect(bobAfter?.id).to.equal(bobBefore?.id);
      expect(bobAfter?.source_dn.toLowerCase()).to.equal(dn.bob.toLowerCase());
    });

    it('deactivates a user disabled in AD and reactivates it when enabled again', async () => {
      await dir.setEnabled(dn.carol, false);
      const disabled = await sync();
      expect(disabled.counters.deactivated).to.equal(1);
      expect(Boolean((await userByAnchor(await dir.guidOf(dn.carol)))?.active)).to.equal(false);
      expect(await roleMembers(`${p} Nested Parent`), 'an inactive user holds no AD roles').to.deep.equal([]);
      await dir.setEnabled(dn.carol, true);
      const enabled = await sync();
      expect(enabled.counters.reactivated).to.equal(1);
      expect(Boolean((await userByAnchor(await dir.guidOf(dn.carol)))?.active)).to.equal(true);
      expect(await roleMembers(`${p} Nested Parent`)).to.deep.equal([upn('carol')]);
    });

    it('deactivates an account whose expiry has passed', async () => {
      await dir.modify(dn.alice, { accountExpires: dateToAccountExpires(new Date(Date.now() - 86_400_000)) });
      const run = await sync();
      const [entry] = (await entriesOf(run)).filter((e) => e.action === 'deactivate');
      expect(entry?.message).to.include('expired');
      await dir.modify(dn.alice, { accountExpires: dateToAccountExpires('never') });
      expect((await sync()).counters.reactivated).to.equal(1);
    });

    it('deactivates a user moved out of the scope and takes its AD roles away', async () => {
      dn.bob = await dir.move(dn.bob, outside);
      const run = await sync();
      expect(run.counters.deactivated).to.equal(1);
      const [entry] = (await entriesOf(run)).filter((e) => e.action === 'deactivate');
      expect(entry?.message).to.include('left the sync scope');
      expect(Boolean((await userByAnchor(await dir.guidOf(dn.bob)))?.active)).to.equal(false);
      expect(await roleMembers('Help Desk Administrator')).to.deep.equal([upn('alice')]);
      expect(await roleMembers(`${p} Cycle A`)).to.deep.equal([]);
    });

    it('sees a deletion through its tombstone and removes the user from its roles', async () => {
      const anchor = await dir.guidOf(dn.bulk0);
      await dir.delete(dn.bulk0);
      const run = await sync();
      expect(run.mode).to.equal('delta');
      expect(run.counters.deactivated).to.equal(1);
      const [entry] = (await entriesOf(run)).filter((e) => e.action === 'deactivate');
      expect(entry?.anchor).to.equal(anchor);
      expect(entry?.message).to.include('deleted');
      expect(await roleMembers(`${p} Everyone Big`)).to.have.length(BIG_GROUP_SIZE - 1);
    });

    it('follows group membership changes', async () => {
      await dir.removeMembers(dn.auditors, [dn.alice]);
      await dir.addMembers(dn.auditors, [dn.bulk1]);
      const run = await sync();
      expect(run.counters.memberAdds).to.equal(1);
      expect(run.counters.memberRemoves).to.equal(1);
      expect(await roleMembers('Help Desk Administrator')).to.deep.equal([upn('bulk0001')]);
    });

    it('writes nothing but the report on a dry run', async () => {
      await dir.modify(dn.alice, { title: 'Dry' });
      const state = await new SyncRuns(dataSource).getState();
      const run = await sync({ dryRun: true });
      expect(run).to.deep.include({ status: 'succeeded', dryRun: true });
      expect(run.counters.updated).to.equal(1);
      expect((await userByAnchor(await dir.guidOf(dn.alice)))?.title).to.equal('Senior Clerk');
      expect((await new SyncRuns(dataSource).getState())?.usn).to.equal(state?.usn);
      expect((await sync()).counters.updated, 'the next real run applies it').to.equal(1);
    });

    it('blocks a run over the delete threshold, applies nothing, and lets it through only on a second person\'s approval of its release', async () => {
      const victims = ['bulk0010', 'bulk0011', 'bulk0012', 'bulk0013'];
      for (const name of victims) await dir.setEnabled(`CN=${p}${name},${people}`, false);
      const blocked = await sync({}, { deleteThreshold: 3 });
      expect(blocked.status).to.equal('blocked');
      expect(blocked.message).to.include('allow-deletes');
      expect(blocked.counters.deactivated, 'the report says what would have happened').to.equal(4);
      expect(Boolean((await userByAnchor(await dir.guidOf(`CN=${p}bulk0010,${people}`)))?.active)).to.equal(true);
      const notAlone = await sync({ allowDeletes: true }, { deleteThreshold: 3 }).then(() => undefined, (error: unknown) => error);
      expect(String(notAlone), 'the schedule (Batch sync) cannot let deletes through on its own').to.include('second person');
      // An operator asks to release the blocked run; a second person's approval starts the run that applies the deletes.
      const operator: ChangeContext = {
        actor: { type: 'person', id: 'operator-id', name: 'otto', permissions: new Set(['sync:run']), manages: new Set() }, door: 'admin',
      };
      const request = await requestSyncRelease(dataSource, operator, blocked.id, { expiryDays: 7 });
      expect(request).to.deep.include({ kind: 'sync-release', status: 'pending' });
      let allowed: SyncRunView | undefined;
      const requests = new ChangeRequests(dataSource, {
        appliers: { 'sync-release': applySyncRelease },
        followUps: {
          'sync-release': async (context) => {
            allowed = await sync({ allowDeletes: true, requestedBy: context }, { deleteThreshold: 3 });
            return { runId: allowed.id };
          },
        },
      });
      const approver: ChangeContext = {
        actor: { type: 'person', id: 'approver-id', name: 'vera', permissions: new Set(['approvals:decide']), manages: new Set() }, door: 'admin',
      };
      // The requester is read again at approval: a person who is no User here cannot act, so the approval fails safe.
      const refused = await requests.approve(approver, request.id).then(() => undefined, (error: unknown) => error);
      expect(String(refused)).to.include('can no longer act');
      expect(allowed, 'no run without a requester who may still ask').to.equal(undefined);
      const again = await requestSyncRelease(dataSource, localOperatorContext('cli:test'), blocked.id, { expiryDays: 7 });
      const decided = await requests.approve(approver, again.id);
      expect(decided.status).to.equal('approved');
      expect(decided.result).to.deep.include({ releasedRun: blocked.id, runId: allowed?.id });
      expect(allowed?.status).to.equal('succeeded');
      expect(allowed?.counters.deactivated).to.equal(4);
      const [audit] = await dataSource.query(
        "SELECT changes FROM audit_events WHERE action = 'sync.run' AND target_id = ?", [allowed?.id],
      ) as { changes: string }[];
      expect(JSON.parse(audit?.changes ?? '{}')).to.deep.include({ allowDeletes: true });
    });

    it('records a failed run when the directory is unreachable, loses nothing, and the next run recovers', async () => {
      const state = await new SyncRuns(dataSource).getState();
      await dir.modify(dn.alice, { title: 'After outage' });
      const failed = await sync({}, { ldap: { ...config.ldap, url: 'ldaps://127.0.0.1:1' } });
      expect(failed.status).to.equal('failed');
      expect(failed.message).to.match(/connect/i);
      expect((await new SyncRuns(dataSource).getState())?.usn, 'the watermark stays').to.equal(state?.usn);
      const recovered = await sync();
      expect(recovered.status).to.equal('succeeded');
      expect((await userByAnchor(await dir.guidOf(dn.alice)))?.title).to.equal('After outage');
    });

    it('records a failed run when the directory goes away in the middle of reading, and the next run converges', async () => {
      const state = await new SyncRuns(dataSource).getState();
      await dir.modify(dn.alice, { title: 'After a cut' });
      // A TCP relay to the DC that drops every connection once 64 KB have come back: mid-way
      // through the paged read of some 1,600 users.
      const target = new URL(config.ldap.url);
      const relay = net.createServer((client) => {
        let received = 0;
        const upstream = net.connect(Number(target.port || 636), target.hostname);
        upstream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 64 * 1024) {
            client.destroy();
            upstream.destroy();
          } else {
            client.write(chunk);
          }
        });
        client.on('data', (chunk: Buffer) => upstream.write(chunk));
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      try {
        const port = (relay.address() as net.AddressInfo).port;
        const failed = await sync({ mode: 'full' }, {
          ldap: { ...config.ldap, url: `ldaps://127.0.0.1:${port}`, tlsServerName: config.ldap.tlsServerName ?? target.hostname },
        });
        expect(failed.status).to.equal('failed');
        expect(failed.message).to.be.a('string').and.not.equal('');
      } finally {
        await new Promise<void>((resolve) => relay.close(() => resolve()));
      }
      expect((await new SyncRuns(dataSource).getState())?.usn, 'the watermark stays').to.equal(state?.usn);
      expect((await userByAnchor(await dir.guidOf(dn.carol)))?.active, 'nothing was lost').to.not.equal(undefined);
      const recovered = await sync();
      expect(recovered.status).to.equal('succeeded');
      expect((await userByAnchor(await dir.guidOf(dn.alice)))?.title).to.equal('After a cut');
    });

    it('does not start while another replica holds the sync lease', async () => {
      expect(await acquireLease(dataSource, SYNC_LEASE, 'replica-b', 60_000)).to.equal(true);
      try {
        let refused: unknown;
        await sync().catch((error: unknown) => {
          refused = error;
        });
        expect(refused).to.be.instanceOf(SyncBusyError);
      } finally {
        await releaseLease(dataSource, SYNC_LEASE, 'replica-b');
      }
    });

    it('runs a full sync on request that finds the store already converged', async () => {
      const run = await sync({ mode: 'full' });
      expect(run.mode).to.equal('full');
      expect(run.counters.created + run.counters.updated + run.counters.deactivated).to.equal(0);
      expect(run.counters.unchanged).to.be.greaterThan(BIG_GROUP_SIZE - 10);
      const helpDesk = await dataSource.query('SELECT COUNT(*) AS n FROM role_members WHERE role_id = ?', [HELP_DESK_ROLE]) as { n: number | string }[];
      expect(Number(helpDesk[0]?.n)).to.equal(1);
    });
  });
}
