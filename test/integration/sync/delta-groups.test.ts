import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../../../src/config';
import { openDataSource } from '../../../src/db/data-source';
import { SyncRuns, type SyncRunView } from '../../../src/governance/sync-runs';
import { createLogger } from '../../../src/logger';
import { runSync, type SyncRunOptions } from '../../../sync/run';
import { testDatabases } from '../../support/databases';
import { TestDirectory, testSyncLdapConfig } from '../../support/directory';

/**
 * A delta run reads the members of a mapped group only when the group, or a group nested in it,
 * changed since the watermark; the roles of the other groups change only for the users the delta
 * touched. Every search the run sends is recorded (a hook on the real client) to show which member
 * lists it read. A real Samba AD DC, a real database.
 */
for (const database of testDatabases()) {
  describe(`Delta sync and unchanged groups, into ${database.name}`, function () {
    this.timeout(120_000);
    let dir: TestDirectory;
    let dataSource: DataSource;
    let config: SyncConfig;
    let people: string;
    let outside: string;
    const dns = new Map<string, string>();
    const logger = createLogger('silent');
    const p = `d${database.name.slice(0, 1)}`;
    const upn = (name: string): string => `${p}${name}@${dir.dnsDomain}`;
    const dnOf = (name: string): string => dns.get(name) ?? '';
    const role = (name: string): string => `${p} ${name}`;
    /** DNs (lower-case) whose member list the last run read (member;range=…). */
    let memberReads: string[] = [];

    const sync = (options: Partial<SyncRunOptions> = {}): Promise<SyncRunView> => {
      memberReads = [];
      return runSync({
        dataSource, config, logger,
        onLdapSearch: (base, attributes) => {
          if (attributes.some((attribute) => attribute.toLowerCase().startsWith('member;range='))) memberReads.push(base.toLowerCase());
        },
      }, { trigger: 'cli', ...options });
    };
    const roleMembers = async (roleName: string): Promise<string[]> => (await dataSource.query(
      `SELECT u.user_name AS name FROM role_members m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
       WHERE r.display_name_key = ? AND m.source = 'ad' ORDER BY u.user_name`, [roleName.toLowerCase()],
    ) as { name: string }[]).map((row) => row.name);
    const memberEntries = async (run: SyncRunView): Promise<string[]> => (await new SyncRuns(dataSource).entries(run.id, { page: 1, pageSize: 500 })).items
      .filter((entry) => entry.action === 'member-add' || entry.action === 'member-remove')
      .map((entry) => `${entry.action} ${entry.anchor}`).sort();
    const delta = async (): Promise<SyncRunView> => {
      const run = await sync();
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.mode).to.equal('delta');
      return run;
    };
    const members = (...names: string[]): string[] => names.map(upn).sort();

    before(async () => {
      dir = await TestDirectory.open();
      const suite = await dir.createSuiteOu(`delta-groups-${database.name}`);
      people = await dir.createOu('People', suite);
      outside = await dir.createOu('Elsewhere', suite);
      const roles = await dir.createOu('Roles', suite);
      for (const name of ['u1', 'u2', 'u3', 'u4', 'u5', 'b1', 'b2']) dns.set(name, await dir.createUser(people, dir.sampleUser(`${p}${name}`)));
      dns.set('stable', await dir.createGroup(roles, role('Stable'), { members: [dnOf('u1'), dnOf('u2'), dnOf('u3')] }));
      dns.set('child', await dir.createGroup(roles, role('Child'), { members: [dnOf('u4')] }));
      dns.set('parent', await dir.createGroup(roles, role('Parent'), { members: [dnOf('child')] }));
      dns.set('changing', await dir.createGroup(roles, role('Changing'), { members: [dnOf('u5')] }));
      const mappingFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'scimd-mapping-')), 'mapping.json');
      writeFileSync(mappingFile, JSON.stringify({ groups: [{ groupsUnder: roles, createRoles: true }] }));
      config = {
        ldap: testSyncLdapConfig(), baseDns: [people], userFilter: '(&(objectCategory=person)(objectClass=user))',
        groupFilter: '(objectClass=group)', mappingFile, deleteThreshold: 500, deleteThresholdPercent: 50,
        deletePolicy: 'deactivate', softMatchByUserName: false, schedulerEnabled: false,
      };
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      const full = await sync();
      expect(full.status, full.message ?? '').to.equal('succeeded');
      expect(full.mode).to.equal('full');
      expect(await roleMembers(role('Stable'))).to.deep.equal(members('u1', 'u2', 'u3'));
      expect(await roleMembers(role('Parent'))).to.deep.equal(members('u4'));
    });

    after(async () => {
      await dataSource?.destroy();
      await dir?.close();
    });

    it('reads no member list when no group changed', async () => {
      await dir.modify(dnOf('b1'), { title: 'Unrelated' });
      const run = await delta();
      expect(run.counters.updated).to.equal(1);
      expect(memberReads).to.deep.equal([]);
      expect(await memberEntries(run)).to.deep.equal([]);
    });

    it('takes the role from a member disabled in AD, without reading the group\'s members, and gives it back when enabled', async () => {
      await dir.setEnabled(dnOf('u1'), false);
      const disabled = await delta();
      expect(disabled.counters.deactivated).to.equal(1);
      expect(memberReads, 'the group did not change').to.deep.equal([]);
      expect(await roleMembers(role('Stable'))).to.deep.equal(members('u2', 'u3'));
      const anchor = await dir.guidOf(dnOf('u1'));
      expect(await memberEntries(disabled)).to.deep.equal([`member-remove ${anchor}`]);

      await dir.setEnabled(dnOf('u1'), true);
      const enabled = await delta();
      expect(enabled.counters.reactivated).to.equal(1);
      expect(memberReads).to.deep.equal([]);
      expect(await roleMembers(role('Stable'))).to.deep.equal(members('u1', 'u2', 'u3'));
      expect(await memberEntries(enabled)).to.deep.equal([`member-add ${anchor}`]);
    });

    it('keeps the role of a member renamed and moved inside the scope (its DN in the group changed, the group did not)', async () => {
      const sub = await dir.createOu('Moved', people);
      dns.set('u2', await dir.move(dnOf('u2'), sub, `CN=${p}u2-renamed`));
      const run = await delta();
      expect(run.counters.updated).to.equal(1);
      expect(memberReads).to.deep.equal([]);
      expect(await memberEntries(run)).to.deep.equal([]);
      expect(await roleMembers(role('Stable'))).to.deep.equal(members('u1', 'u2', 'u3'));
    });

    it('takes the role from a member deleted in AD (AD drops it from the group without changing the group)', async () => {
      const anchor = await dir.guidOf(dnOf('u3'));
      await dir.delete(dnOf('u3'));
      const run = await delta();
      expect(run.counters.deactivated).to.equal(1);
      expect(memberReads).to.deep.equal([]);
      expect(await memberEntries(run)).to.deep.equal([`member-remove ${anchor}`]);
      expect(await roleMembers(role('Stable'))).to.deep.equal(members('u1', 'u2'));
    });

    it('takes the role from a member moved out of the scope', async () => {
      dns.set('u2', await dir.move(dnOf('u2'), outside));
      const run = await delta();
      expect(run.counters.deactivated).to.equal(1);
      expect(memberReads).to.deep.equal([]);
      expect(await roleMembers(role('Stable'))).to.deep.equal(members('u1'));
    });

    it('carries a change of a nested group to the role of the group holding it, reading only those two', async () => {
      await dir.addMembers(dnOf('child'), [dnOf('u5')]);
      const run = await delta();
      expect(memberReads.sort()).to.deep.equal([dnOf('child'), dnOf('parent')].map((dn) => dn.toLowerCase()).sort());
      expect(await roleMembers(role('Parent'))).to.deep.equal(members('u4', 'u5'));
      expect(await roleMembers(role('Child'))).to.deep.equal(members('u4', 'u5'));
      const anchor = await dir.guidOf(dnOf('u5'));
      expect(await memberEntries(run)).to.deep.equal([`member-add ${anchor}`, `member-add ${anchor}`]);
    });

    it('plans a changed group\'s role whole: members the delta did not otherwise touch are added and removed', async () => {
      await dir.addMembers(dnOf('changing'), [dnOf('b1'), dnOf('b2')]);
      await dir.removeMembers(dnOf('changing'), [dnOf('u5')]);
      const run = await delta();
      expect(run.counters.updated + run.counters.deactivated + run.counters.reactivated, 'no user changed').to.equal(0);
      expect(memberReads).to.deep.equal([dnOf('changing').toLowerCase()]);
      expect(await roleMembers(role('Changing'))).to.deep.equal(members('b1', 'b2'));
      expect(run.counters.memberAdds).to.equal(2);
      expect(run.counters.memberRemoves).to.equal(1);
    });

    it('ends where a full run would: a full run afterwards finds every role as the deltas left it', async () => {
      const before = await Promise.all(['Stable', 'Parent', 'Child', 'Changing'].map((name) => roleMembers(role(name))));
      const full = await sync({ mode: 'full' });
      expect(full.status, full.message ?? '').to.equal('succeeded');
      expect(full.counters.memberAdds + full.counters.memberRemoves).to.equal(0);
      expect(await Promise.all(['Stable', 'Parent', 'Child', 'Changing'].map((name) => roleMembers(role(name))))).to.deep.equal(before);
    });
  });
}
