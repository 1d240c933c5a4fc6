import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { openDataSource } from '../../../src/db/data-source';
import { DomainError } from '../../../src/errors';
import { SyncRuns } from '../../../src/governance/sync-runs';
import {
  BATCH_SYNC_ACCOUNT, batchSyncContext, localOperatorContext, type ChangeContext,
} from '../../../src/identity/change-context';
import type { DirectoryUserWrite } from '../../../src/identity/directory-writes';
import { RoleDirectory } from '../../../src/identity/roles';
import { UserDirectory } from '../../../src/identity/users';
import { testDatabases } from '../../support/databases';

/**
 * The rules of floor 2 hold for whoever calls it, not only behind a door that checked first: the
 * acting identity's permissions, and which identity may write through the sync's batch mode.
 */
const OPERATOR = localOperatorContext('test');

function scimCaller(permissions: readonly string[]): ChangeContext {
  return { actor: { type: 'service-account', id: 'acct', name: 'reader', permissions: new Set(permissions), manages: 'all' }, door: 'scim', requestId: 'r1' };
}

async function refusal(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const create = (n: number, anchor = `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`): DirectoryUserWrite => ({
  action: 'create', anchor, dn: `CN=U${n},OU=People,DC=example,DC=test`, userId: null,
  profile: { userName: `u${n}@example.test`, emails: [{ value: `u${n}@example.test`, type: 'work', primary: true }] },
});

for (const database of testDatabases()) {
  describe(`Floor 2 write rules on ${database.name}`, () => {
    let dataSource: DataSource;
    let users: UserDirectory;
    let roles: RoleDirectory;
    let sync: ChangeContext;
    const count = async (table: string): Promise<number> =>
      Number((await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`) as { n: number | string }[])[0]?.n);

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      users = new UserDirectory(dataSource);
      roles = new RoleDirectory(dataSource);
      sync = batchSyncContext({ requestId: 'run-1', ...await new ServiceAccounts(dataSource).actingAs(BATCH_SYNC_ACCOUNT.id) });
    });

    after(async () => {
      await dataSource.destroy();
    });

    it('gives the sync the permissions of its account\'s roles (Batch sync)', () => {
      expect([...sync.actor.permissions].sort()).to.deep.equal(['groups:read', 'groups:write', 'roles:assign', 'sync:read', 'sync:run', 'users:read', 'users:write']);
    });

    it('writes 20 new users of one batch each under its own id: values, audit rows, names', async () => {
      const outcomes = await users.applyDirectoryChanges(sync, Array.from({ length: 20 }, (_, i) => create(i + 1)));
      expect(outcomes.filter((o) => o.error)).to.deep.equal([]);
      const rows = await dataSource.query(
        `SELECT u.id AS id, u.user_name AS user_name, v.value AS email, a.target_name AS audited
         FROM users u JOIN user_values v ON v.user_id = u.id JOIN audit_events a ON a.target_id = u.id AND a.action = 'user.create'
         WHERE u.source = 'ad'`,
      ) as { id: string; user_name: string; email: string; audited: string }[];
      expect(rows).to.have.length(20);
      for (const row of rows) {
        expect(row.email, row.id).to.equal(row.user_name);
        expect(row.audited, row.id).to.equal(row.user_name);
      }
      const byAnchor = await users.idsByAnchor(outcomes.map((o) => o.anchor));
      for (const outcome of outcomes) expect(byAnchor.get(outcome.anchor)).to.equal(outcome.userId);
    });

    it('gives a role its Active Directory members by anchor, names each by id and anchor, and leaves out anchors no AD user holds', async () => {
      const ids = await users.idsByAnchor([1, 2, 3].map((n) => create(n).anchor));
      const idOf = (n: number): string => ids.get(create(n).anchor) ?? '';
      const local = await users.create(OPERATOR, { profile: { userName: 'not-from-ad@example.test' } });
      const made = await roles.applyDirectoryGroup(sync, {
        name: 'Anchored members', create: true, addAnchors: [create(1).anchor, create(2).anchor, 'c0000000-0000-4000-8000-000000000404', local.id],
        removeAnchors: [],
      });
      expect([...made.added].sort()).to.deep.equal([idOf(1), idOf(2)].sort());
      expect(made.anchorOf.get(idOf(1))).to.equal(create(1).anchor);
      const changed = await roles.applyDirectoryGroup(sync, {
        name: 'Anchored members', create: false, addAnchors: [create(2).anchor, create(3).anchor], removeAnchors: [create(1).anchor],
      });
      expect(changed).to.deep.include({ roleId: made.roleId, added: [idOf(3)], removed: [idOf(1)], adopted: [] });
      expect(changed.anchorOf.get(idOf(3))).to.equal(create(3).anchor);
      const members = await dataSource.query('SELECT user_id, source FROM role_members WHERE role_id = ? ORDER BY user_id', [made.roleId]) as
        { user_id: string; source: string }[];
      expect(members).to.deep.equal([idOf(2), idOf(3)].sort().map((id) => ({ user_id: id, source: 'ad' })));
    });

    it('refuses a write by a caller whose roles lack the permission, at every write, and writes nothing', async () => {
      const reader = scimCaller(['users:read', 'groups:read']);
      const before = { users: await count('users'), roles: await count('roles'), audit: await count('audit_events') };
      const [anyUser] = (await users.list({ offset: 0, limit: 1 })).items;
      const checks: [string, Promise<unknown>][] = [
        ['user create', users.create(reader, { profile: { userName: 'nope@example.test' } })],
        ['user replace', users.replace(reader, anyUser?.id ?? '', { profile: { userName: 'nope@example.test' } })],
        ['user delete', users.delete(reader, anyUser?.id ?? '')],
        ['role create', roles.create(reader, { displayName: 'Nope' })],
        ['role update', roles.update(reader, '00000000-0000-4000-8000-000000000003', { memberChanges: [{ kind: 'add', ids: [anyUser?.id ?? ''] }] })],
        ['role delete', roles.delete(reader, '00000000-0000-4000-8000-000000000003')],
        ['service account', new ServiceAccounts(dataSource).create(reader, { name: 'sneaky', roleNames: ['Full API Access'] })],
        ['sync run', new SyncRuns(dataSource).start({ trigger: 'api', mode: 'full', dryRun: false, requestedBy: reader })],
      ];
      for (const [what, work] of checks) {
        const error = await refusal(work);
        expect(error.kind, what).to.equal('forbidden');
        expect(error.message, what).to.match(/lacks the \S+ permission/);
      }
      expect({ users: await count('users'), roles: await count('roles'), audit: await count('audit_events') }).to.deep.equal(before);
    });

    it('lets only the sync write in batch mode, and only with its permissions', async () => {
      expect((await refusal(users.applyDirectoryChanges(scimCaller(['*']), [create(90)]))).kind).to.equal('forbidden');
      const stripped = batchSyncContext({ requestId: 'run-2', permissions: new Set(['users:read']) });
      expect((await refusal(users.applyDirectoryChanges(stripped, [create(91)]))).kind).to.equal('forbidden');
      expect((await refusal(roles.applyDirectoryGroup(scimCaller(['*']), { name: 'X', create: true, addAnchors: [], removeAnchors: [] }))).kind).to.equal('forbidden');
      expect(await users.idsByAnchor([create(90).anchor, create(91).anchor])).to.have.property('size', 0);
    });

    it('keeps the sync off users it does not manage unless it takes one over, and SCIM off users AD manages', async () => {
      const scimUser = await users.create(OPERATOR, { profile: { userName: 'local@example.test', title: 'Local' } });
      const [outcome] = await users.applyDirectoryChanges(sync, [{
        action: 'update', anchor: 'b0000000-0000-4000-8000-000000000001', dn: null, userId: scimUser.id,
        profile: { userName: 'local@example.test', title: 'From AD' },
      }]);
      // An update names the directory object: that is a takeover (soft match), and the user is AD's from now on.
      expect(outcome).to.deep.include({ userId: scimUser.id, changed: true });
      expect((await users.get(scimUser.id)).source).to.equal('ad');
      const error = await refusal(users.replace(OPERATOR, scimUser.id, { profile: { userName: 'local@example.test', title: 'Back' } }));
      expect(error.kind).to.equal('mutability');
      const deleted = await users.applyDirectoryChanges(sync, [{ action: 'delete', anchor: 'x', dn: null, userId: (await users.create(OPERATOR, { profile: { userName: 'other@example.test' } })).id }]);
      expect(deleted[0]?.error).to.match(/not managed by Active Directory sync/);
    });

    it('never moves a user from one directory object to another: a second takeover of the same user fails alone', async () => {
      const local = await users.create(OPERATOR, { profile: { userName: 'shared@example.test' } });
      const takeover = (anchor: string, title: string): DirectoryUserWrite => ({
        action: 'update', anchor, dn: null, userId: local.id, profile: { userName: 'shared@example.test', title },
      });
      const [first] = await users.applyDirectoryChanges(sync, [takeover('c0000000-0000-4000-8000-000000000001', 'First')]);
      expect(first).to.deep.include({ userId: local.id, changed: true });
      // Planned against the store as it was before the first takeover committed, written after it.
      const outcomes = await users.applyDirectoryChanges(sync, [takeover('c0000000-0000-4000-8000-000000000002', 'Second'), create(95)]);
      expect(outcomes[0]?.error).to.match(/shared@example\.test is linked to another directory object \(c0000000-0000-4000-8000-000000000001\)/);
      expect(outcomes[1]).to.deep.include({ changed: true }).and.not.have.property('error');
      const stored = await dataSource.query('SELECT source_anchor, title FROM users WHERE id = ?', [local.id]) as { source_anchor: string; title: string }[];
      expect(stored[0]).to.deep.equal({ source_anchor: 'c0000000-0000-4000-8000-000000000001', title: 'First' });
    });
  });
}
