import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../../../src/config';
import { openDataSource } from '../../../src/db/data-source';
import { SyncRuns, type SyncRunView } from '../../../src/governance/sync-runs';
import { createLogger } from '../../../src/logger';
import type { SyncProgressCounts } from '../../../sync/progress';
import { runSync, type SyncRunOptions } from '../../../sync/run';
import { testDatabases } from '../../support/databases';
import { TestDirectory, testSyncLdapConfig } from '../../support/directory';

/** Pages of two users: seven users cross three LDAP pages and four pages of the store walk. */
const PAGE = 2;

/**
 * A full sync streams: read, plan and apply a page of users at a time, find who left by walking
 * the store in pages, and link managers met before their manager. A real Samba AD DC, a real database.
 */
for (const database of testDatabases()) {
  describe(`Streamed full sync across pages, into ${database.name}`, function () {
    this.timeout(120_000);
    let dir: TestDirectory;
    let dataSource: DataSource;
    let config: SyncConfig;
    let people: string;
    let outside: string;
    let team: string;
    const dns = new Map<string, string>();
    const logger = createLogger('silent');
    const p = `s${database.name.slice(0, 1)}`;
    const upn = (name: string): string => `${p}${name}@${dir.dnsDomain}`;
    const dnOf = (name: string): string => dns.get(name) ?? '';

    const fullSync = (options: Partial<SyncRunOptions> = {}, overrides: Partial<SyncConfig> = {}): Promise<SyncRunView> =>
      runSync({ dataSource, config: { ...config, ...overrides }, logger }, { trigger: 'cli', mode: 'full', pageSize: PAGE, ...options });
    const user = async (name: string) => (await dataSource.query(
      'SELECT id, active, title, manager_id FROM users WHERE user_name_key = ?', [upn(name).toLowerCase()],
    ) as { id: string; active: number | boolean; title: string | null; manager_id: string | null }[])[0];
    const roleMembers = async (roleName: string): Promise<string[]> => (await dataSource.query(
      `SELECT u.user_name AS name FROM role_members m JOIN roles r ON r.id = m.role_id JOIN users u ON u.id = m.user_id
       WHERE r.display_name_key = ? AND m.source = 'ad' ORDER BY u.user_name`, [roleName.toLowerCase()],
    ) as { name: string }[]).map((row) => row.name);
    const move = async (name: string, to: string): Promise<void> => {
      dns.set(name, await dir.move(dnOf(name), to));
    };

    before(async () => {
      dir = await TestDirectory.open();
      const suite = await dir.createSuiteOu(`streamed-${database.name}`);
      people = await dir.createOu('People', suite);
      outside = await dir.createOu('Elsewhere', suite);
      const roles = await dir.createOu('Roles', suite);
      // Managers both ways round: whatever order the directory pages in, some users come before their manager.
      dns.set('boss', await dir.createUser(people, dir.sampleUser(`${p}boss`, { title: 'Boss' })));
      for (const name of ['u1', 'u2', 'u3']) dns.set(name, await dir.createUser(people, dir.sampleUser(`${p}${name}`, { manager: dnOf('boss') })));
      dns.set('lead', await dir.createUser(people, dir.sampleUser(`${p}lead`)));
      await dir.modify(dnOf('boss'), { manager: dnOf('lead') });
      dns.set('u4', await dir.createUser(people, dir.sampleUser(`${p}u4`, { manager: dnOf('lead') })));
      dns.set('off', await dir.createUser(people, dir.sampleUser(`${p}off`, { enabled: false })));
      team = await dir.createGroup(roles, `${p} Streamed Team`, { members: [dnOf('u1'), dnOf('u2'), dnOf('u3'), dnOf('off')] });

      const mappingFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'scimd-mapping-')), 'mapping.json');
      writeFileSync(mappingFile, JSON.stringify({ groups: [{ groupsUnder: roles, createRoles: true }] }));
      config = {
        ldap: testSyncLdapConfig(), baseDns: [people], userFilter: '(&(objectCategory=person)(objectClass=user))',
        groupFilter: '(objectClass=group)', mappingFile, deleteThreshold: 500, deleteThresholdPercent: 100,
        deletePolicy: 'deactivate', softMatchByUserName: false, schedulerEnabled: false,
      };
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
    });

    after(async () => {
      await dataSource?.destroy();
      await dir?.close();
    });

    it('creates every user page by page, links every manager whatever the page order, and reports its counts as it goes', async () => {
      const events: SyncProgressCounts[] = [];
      const stages: string[] = [];
      const run = await fullSync({ onCounts: (counts) => events.push(counts), onProgress: (stage) => stages.push(stage) });
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.counters).to.deep.include({ created: 7, errors: 0, memberAdds: 3 });
      const boss = await user('boss');
      const lead = await user('lead');
      for (const name of ['u1', 'u2', 'u3']) expect((await user(name))?.manager_id, name).to.equal(boss?.id);
      expect(boss?.manager_id).to.equal(lead?.id);
      expect((await user('u4'))?.manager_id).to.equal(lead?.id);
      expect(await roleMembers(`${p} Streamed Team`), 'the disabled member holds no role').to.deep.equal([upn('u1'), upn('u2'), upn('u3')]);
      // A user read before its manager named the id reserved for it, and the manager was created with that id: one write each.
      const audited = await dataSource.query(
        "SELECT action, COUNT(*) AS n FROM audit_events WHERE target_type = 'User' GROUP BY action",
      ) as { action: string; n: number | string }[];
      expect(audited.map((row) => [row.action, Number(row.n)])).to.deep.equal([['user.create', 7]]);

      const reads = events.filter((event) => event.phase === 'users').map((event) => event.read);
      expect(reads.length, 'one event per page of two').to.be.at.least(4);
      expect(reads).to.deep.equal([...reads].sort((a, b) => a - b));
      expect(events.at(-1)).to.deep.include({ phase: 'done', read: 7, planned: 7, applied: 7 });
      expect(stages.filter((stage) => stage === 'applying'), 'one stage change before the first write').to.have.length(1);
    });

    it('finds nothing to do when nothing changed: every user unchanged, nothing written', async () => {
      const run = await fullSync();
      expect(run.counters).to.deep.include({ created: 0, updated: 0, deactivated: 0, unchanged: 7, memberAdds: 0, memberRemoves: 0 });
      expect(await new SyncRuns(dataSource).entries(run.id, { page: 1, pageSize: 100 })).to.have.property('total', 0);
    });

    it('reads the groups and their member lists on a connection of their own, the user pages on the first', async () => {
      const searches: { base: string; members: boolean; connection: string }[] = [];
      await dir.addMembers(team, [dnOf('u4')]);
      try {
        const run = await runSync({
          dataSource, config, logger,
          onLdapSearch: (base, attributes, connection) => searches.push({
            base: base.toLowerCase(), connection, members: attributes.some((attribute) => attribute.toLowerCase().startsWith('member;range=')),
          }),
        }, { trigger: 'cli', mode: 'full', pageSize: PAGE });
        expect(run.status, run.message ?? '').to.equal('succeeded');
        expect(run.counters).to.deep.include({ memberAdds: 1, memberRemoves: 0 });
        expect(await roleMembers(`${p} Streamed Team`)).to.deep.equal([upn('u1'), upn('u2'), upn('u3'), upn('u4')]);
        const memberReads = searches.filter((search) => search.members);
        expect(memberReads.map((search) => search.base), 'the team\'s member list').to.include(team.toLowerCase());
        expect(new Set(memberReads.map((search) => search.connection))).to.deep.equal(new Set(['groups']));
        expect(new Set(searches.filter((search) => search.base === people.toLowerCase()).map((search) => search.connection)))
          .to.deep.equal(new Set(['main']));
      } finally {
        await dir.removeMembers(team, [dnOf('u4')]);
      }
      const restored = await fullSync();
      expect(restored.counters).to.deep.include({ memberAdds: 0, memberRemoves: 1 });
    });

    it('deactivates the users that left the scope, found across pages of the store, and takes their AD roles away', async () => {
      await move('u1', outside);
      await move('u3', outside);
      await move('u4', outside);
      const run = await fullSync();
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.counters).to.deep.include({ deactivated: 3, unchanged: 4, memberRemoves: 2 });
      for (const name of ['u1', 'u3', 'u4']) expect(Boolean((await user(name))?.active), name).to.equal(false);
      expect(Boolean((await user('u2'))?.active)).to.equal(true);
      expect(await roleMembers(`${p} Streamed Team`)).to.deep.equal([upn('u2')]);
      const entries = (await new SyncRuns(dataSource).entries(run.id, { page: 1, pageSize: 100 })).items;
      expect(entries.filter((entry) => entry.action === 'deactivate').map((entry) => entry.message)).to.deep.equal(Array(3).fill('left the sync scope'));
    });

    it('holds back every deactivation of a run over the delete threshold and still applies its updates', async () => {
      await move('u2', outside);
      await move('boss', outside);
      await dir.modify(dnOf('lead'), { title: 'Lead, streamed' });
      const run = await fullSync({}, { deleteThreshold: 1 });
      expect(run.status).to.equal('blocked');
      expect(run.message).to.include('allow-deletes');
      expect(run.counters, 'the report says what would have happened').to.deep.include({ deactivated: 2, updated: 1 });
      expect(Boolean((await user('u2'))?.active)).to.equal(true);
      expect(Boolean((await user('boss'))?.active)).to.equal(true);
      expect((await user('lead'))?.title).to.equal('Lead, streamed');
    });

    it('names a manager read later by its id, and one it did not read by the store\'s id or none', async () => {
      // lead: in the store under its old DN, in the scope under its new one; boss: outside the scope.
      await move('lead', await dir.createOu('Moved', people));
      dns.set('n1', await dir.createUser(people, dir.sampleUser(`${p}n1`, { manager: dnOf('lead') })));
      dns.set('n2', await dir.createUser(people, dir.sampleUser(`${p}n2`, { manager: dnOf('boss') })));
      dns.set('n3', await dir.createUser(people, dir.sampleUser(`${p}n3`)));
      dns.set('n4', await dir.createUser(people, dir.sampleUser(`${p}n4`, { manager: dnOf('n3') })));
      const run = await fullSync();
      expect(run.status, run.message ?? '').to.equal('succeeded');
      expect(run.counters).to.deep.include({ created: 4, errors: 0 });
      expect((await user('n1'))?.manager_id).to.equal((await user('lead'))?.id);
      expect((await user('n2'))?.manager_id, 'boss is held under a DN AD no longer gives it').to.equal(null);
      expect((await user('n4'))?.manager_id).to.equal((await user('n3'))?.id);
      const dangling = await dataSource.query(
        'SELECT COUNT(*) AS n FROM users u WHERE u.manager_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users m WHERE m.id = u.manager_id)',
      ) as { n: number | string }[];
      expect(Number(dangling[0]?.n), 'no user names a manager id that no user holds').to.equal(0);
    });
  });
}
