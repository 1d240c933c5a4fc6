import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../../../src/config';
import type { ChangeContext } from '../../../src/identity/change-context';
import { SyncRuns, type SyncRunView } from '../../../src/governance/sync-runs';
import { createLogger } from '../../../src/logger';
import { runSync, type SyncRunOptions } from '../../../sync/run';
import { testDatabases } from '../../support/databases';
import { TestDirectory, testSyncLdapConfig } from '../../support/directory';
import { GROUP_SCHEMA, PATCH_SCHEMA, TestServer, type ScimClient } from '../../support/test-server';

/**
 * The sync and SCIM write through one path (src/identity): what the sync writes is what SCIM reads
 * back, under the right user, versioned and audited by id, and the source of authority of a user,
 * a membership or a role made from an AD group holds whichever door asks. A real Samba AD DC, a
 * real scimd over HTTP, one database.
 */
for (const database of testDatabases()) {
  describe(`One write path: the sync and SCIM on ${database.name}`, function () {
    this.timeout(180_000);
    let dir: TestDirectory;
    let server: TestServer;
    let dataSource: DataSource;
    let scim: ScimClient;
    let config: SyncConfig;
    let people: string;
    let rolesOu: string;
    let fieldGroup: string;
    let salesGroup: string;
    const dns = new Map<string, string>();
    const logger = createLogger('silent');
    // sAMAccountName is unique in the whole domain: each database's suite gets its own prefix.
    const p = `w${database.name.slice(0, 1)}`;
    const upn = (name: string): string => `${p}${name}@${dir.dnsDomain}`;

    const sync = (options: Partial<SyncRunOptions> = {}): Promise<SyncRunView> =>
      runSync({ dataSource, config, logger }, { trigger: 'cli', ...options });
    const entriesOf = async (run: SyncRunView) => (await new SyncRuns(dataSource).entries(run.id, { page: 1, pageSize: 5000 })).items;
    const userByName = async (name: string): Promise<Record<string, unknown>> => {
      const reply = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${upn(name)}"`)}`);
      const [user] = reply.body.Resources as Record<string, unknown>[];
      if (!user) throw new Error(`no user ${upn(name)}`);
      return user;
    };
    const managerOf = (user: Record<string, unknown>): string | undefined =>
      ((user['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] as { manager?: { value?: string } } | undefined)?.manager?.value);
    const addUser = async (name: string, extra: Record<string, string> = {}): Promise<string> => {
      const dn = await dir.createUser(people, dir.sampleUser(`${p}${name}`, extra));
      dns.set(name, dn);
      return dn;
    };
    const roleIdByName = async (name: string): Promise<string> => {
      const reply = await scim.get(`/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}&excludedAttributes=members`);
      const [role] = reply.body.Resources as { id: string }[];
      if (!role) throw new Error(`no role ${name}`);
      return role.id;
    };
    const adMembersOf = async (roleId: string): Promise<{ user_id: string; source: string }[]> =>
      await dataSource.query('SELECT user_id, source FROM role_members WHERE role_id = ? ORDER BY user_id', [roleId]) as { user_id: string; source: string }[];

    before(async () => {
      dir = await TestDirectory.open();
      const suite = await dir.createSuiteOu(`onepath-${database.name}`);
      people = await dir.createOu('People', suite);
      rolesOu = await dir.createOu('Roles', suite);
      const boss = await addUser('boss');
      await addUser('clerk', { manager: boss });
      await addUser('temp');
      fieldGroup = await dir.createGroup(suite, `${p} Field`, { members: [] });
      salesGroup = await dir.createGroup(rolesOu, `${p} Sales`, { members: [boss] });

      server = await TestServer.start(await database.fresh());
      dataSource = server.running.dataSource;
      scim = server.client(await server.token('okta', ['SCIM Provisioning']));
      // A role an IdP made over SCIM, which the mapping also grants from an AD group.
      expect((await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: `${p} Field Staff` })).status).to.equal(201);

      const mappingFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'scimd-mapping-')), 'mapping.json');
      writeFileSync(mappingFile, JSON.stringify({
        groups: [{ group: { dn: fieldGroup }, role: `${p} Field Staff` }, { groupsUnder: rolesOu, createRoles: true }],
      }));
      config = {
        ldap: testSyncLdapConfig(),
        baseDns: [people], userFilter: '(&(objectCategory=person)(objectClass=user))', groupFilter: '(objectClass=group)',
        mappingFile, deleteThreshold: 500, deleteThresholdPercent: 50, deletePolicy: 'deactivate', softMatchByUserName: false,
        schedulerEnabled: false,
      };
      const first = await sync();
      expect(first.status, first.message ?? '').to.equal('succeeded');
      expect(first.counters.created).to.equal(3);
    });

    after(async () => {
      await server?.stop();
      await dir?.close();
    });

    it('writes a small delta of new hires under the right users: e-mail filters, audit rows and manager links', async () => {
      // Two managers and their reports, all new in one delta, plus one reporting to a user the store has.
      const lead = await addUser('hire-lead');
      await addUser('hire-a', { manager: lead });
      await addUser('hire-b', { manager: lead });
      const second = await addUser('hire-second');
      await addUser('hire-c', { manager: second });
      await addUser('hire-d', { manager: dns.get('boss') as string });
      const run = await sync();
      expect(run.mode).to.equal('delta');
      expect(run.counters.created, run.message ?? '').to.equal(6);

      for (const name of ['hire-lead', 'hire-a', 'hire-b', 'hire-second', 'hire-c', 'hire-d']) {
        const filter = `emails[type eq "work"].value eq "${upn(name)}"`;
        const found = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
        expect(found.body.totalResults, filter).to.equal(1);
        expect((found.body.Resources as { userName: string }[])[0]?.userName, filter).to.equal(upn(name));
      }
      // Every audit row of a creation names the user it created, by id and by name.
      const audits = await dataSource.query(
        "SELECT a.target_name AS target_name, u.user_name AS user_name FROM audit_events a LEFT JOIN users u ON u.id = a.target_id WHERE a.action = 'user.create' AND a.request_id = ?",
        [run.id],
      ) as { target_name: string; user_name: string | null }[];
      expect(audits).to.have.length(6);
      for (const row of audits) expect(row.user_name, `audit row for ${row.target_name}`).to.equal(row.target_name);

      const leadUser = await userByName('hire-lead');
      expect(managerOf(await userByName('hire-a'))).to.equal(leadUser.id);
      expect(managerOf(await userByName('hire-b'))).to.equal(leadUser.id);
      expect(managerOf(await userByName('hire-c'))).to.equal((await userByName('hire-second')).id);
      expect(managerOf(await userByName('hire-d'))).to.equal((await userByName('boss')).id);
    });

    it('links two new users who manage each other with a version bump and an audit row, so the ETag changes with manager.value', async () => {
      const east = await addUser('cycle-east');
      const west = await addUser('cycle-west', { manager: east });
      await dir.modify(east, { manager: west });
      const run = await sync();
      expect(run.counters.created, run.message ?? '').to.equal(2);
      const eastUser = await userByName('cycle-east');
      const westUser = await userByName('cycle-west');
      expect(managerOf(eastUser)).to.equal(westUser.id);
      expect(managerOf(westUser)).to.equal(eastUser.id);
      for (const user of [eastUser, westUser]) {
        const audits = await dataSource.query(
          'SELECT action, changes FROM audit_events WHERE target_id = ? ORDER BY id', [user.id],
        ) as { action: string; changes: string }[];
        const version = Number((user.meta as { version: string }).version.replace(/\D/g, ''));
        // One audited write per version: a manager link written after the creation bumped the version.
        expect(audits.map((a) => a.action)).to.deep.equal(version === 1 ? ['user.create'] : ['user.create', 'user.update']);
        const fetched = await scim.get(`/Users/${String(user.id)}`);
        expect(fetched.headers.get('etag')).to.equal(`W/"${version}"`);
        const managerChange = audits.flatMap((a) => JSON.parse(a.changes) as { attribute: string; to?: { value: string } }[])
          .filter((c) => c.attribute === 'enterprise.manager').at(-1);
        expect(managerChange?.to?.value, 'the audit holds the manager id the user shows').to.equal(managerOf(user));
      }
    });

    it('takes over a membership SCIM granted when AD grants it too: one row, reported once, and SCIM can no longer remove it', async () => {
      const roleId = await roleIdByName(`${p} Field Staff`);
      const temp = await userByName('temp');
      const added = await scim.patch(`/Groups/${roleId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'add', path: 'members', value: [{ value: temp.id }] }],
      });
      expect(added.status).to.equal(204);
      await dir.addMembers(fieldGroup, [dns.get('temp') as string]);

      const run = await sync();
      const adds = (await entriesOf(run)).filter((e) => e.action === 'member-add');
      expect(adds).to.have.length(1);
      expect(adds[0]?.message).to.include('now granted by Active Directory');
      expect(await adMembersOf(roleId)).to.deep.equal([{ user_id: temp.id, source: 'ad' }]);

      const again = await sync({ mode: 'full' });
      expect(again.counters.memberAdds, 'no phantom member-add on the next run').to.equal(0);
      expect((await entriesOf(again)).filter((e) => e.objectType === 'role')).to.deep.equal([]);

      const removed = await scim.patch(`/Groups/${roleId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${String(temp.id)}"]` }],
      });
      expect(removed.status).to.equal(400);
      expect(removed.body.scimType).to.equal('mutability');
      expect(await adMembersOf(roleId)).to.have.length(1);
    });

    it('audits the sync\'s membership changes with user ids, on the locked, versioned role', async () => {
      const roleId = await roleIdByName(`${p} Field Staff`);
      const before = await scim.get(`/Groups/${roleId}`);
      await dir.addMembers(fieldGroup, [dns.get('clerk') as string]);
      const run = await sync();
      expect(run.counters.memberAdds).to.equal(1);
      const clerk = await userByName('clerk');
      const [audit] = await dataSource.query(
        "SELECT changes FROM audit_events WHERE action = 'role.update' AND target_id = ? AND request_id = ?", [roleId, run.id],
      ) as { changes: string }[];
      expect(JSON.parse(audit?.changes ?? '{}')).to.deep.include({ added: [clerk.id], removed: [] });
      const after = await scim.get(`/Groups/${roleId}`);
      expect(after.headers.get('etag')).to.not.equal(before.headers.get('etag'));
    });

    it('records who asked for a run through the admin API, while the changes are written and audited as Batch sync', async () => {
      await dir.modify(dns.get('temp') as string, { title: 'Asked for' });
      const requestedBy: ChangeContext = {
        actor: { type: 'service-account', id: 'acct-1', name: 'automation', permissions: new Set(['sync:run']), manages: new Set() }, door: 'admin', requestId: 'req-42',
      };
      const run = await sync({ trigger: 'api', requestedBy });
      expect(run).to.deep.include({ trigger: 'api', actorName: 'automation' });
      const audits = await dataSource.query(
        'SELECT action, actor_name, door, request_id FROM audit_events WHERE target_id = ? OR request_id = ? ORDER BY id', [run.id, run.id],
      ) as { action: string; actor_name: string; door: string; request_id: string }[];
      expect(audits[0]).to.deep.equal({ action: 'sync.run', actor_name: 'automation', door: 'admin', request_id: 'req-42' });
      expect(audits.slice(1).map((a) => [a.action, a.actor_name, a.door])).to.deep.equal([['user.update', 'Batch sync', 'sync']]);
    });

    it('refuses SCIM renames and deletes of a role made from an AD group, keeps its members, and follows the group renamed in AD', async () => {
      const roleId = await roleIdByName(`${p} Sales`);
      const members = await adMembersOf(roleId);
      expect(members).to.have.length(1);

      const renamed = await scim.patch(`/Groups/${roleId}`, {
        schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', path: 'displayName', value: `${p} Sales (old)` }],
      });
      expect(renamed.status).to.equal(400);
      expect(renamed.body.scimType).to.equal('mutability');
      const put = await scim.put(`/Groups/${roleId}`, { schemas: [GROUP_SCHEMA], displayName: `${p} Sales renamed` });
      expect(put.status).to.equal(400);
      expect(put.body.scimType).to.equal('mutability');
      const deleted = await scim.delete(`/Groups/${roleId}`);
      expect(deleted.status).to.equal(400);
      expect(deleted.body.scimType).to.equal('mutability');

      const steady = await sync({ mode: 'full' });
      expect(steady.counters.memberAdds + steady.counters.memberRemoves).to.equal(0);
      expect(await adMembersOf(roleId)).to.deep.equal(members);

      salesGroup = await dir.move(salesGroup, rolesOu, `CN=${p} Sales EMEA`);
      const run = await sync();
      expect(run.counters.errors, run.message ?? '').to.equal(0);
      expect(await roleIdByName(`${p} Sales EMEA`)).to.equal(roleId);
      const roles = await scim.get(`/Groups?filter=${encodeURIComponent(`displayName sw "${p} Sales"`)}&excludedAttributes=members`);
      expect(roles.body.totalResults, 'no second role for the renamed group').to.equal(1);
      expect(await adMembersOf(roleId)).to.deep.equal(members);
    });
  });
}
