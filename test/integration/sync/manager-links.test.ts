import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { openDataSource } from '../../../src/db/data-source';
import { BATCH_SYNC_ACCOUNT, batchSyncContext, type ChangeContext } from '../../../src/identity/change-context';
import { applyDirectoryChanges, linkDirectoryManagers } from '../../../src/identity/directory-writes';
import { testDatabases } from '../../support/databases';

const anchor = (n: number): string => `0000000${n}-0000-4000-8000-00000000000${n}`;

/**
 * Managers a streamed full sync reserved an id for (directory-writes.ts): a user met before its
 * manager is written naming the id reserved for the manager, and the manager created with it. A
 * reservation that did not come to be is put right after the read with the same change as any
 * update (profile, manager_id, version, updated_at, an audit row by id), a batch per statement.
 */
for (const database of testDatabases()) {
  describe(`Directory manager reservations on ${database.name}`, function () {
    this.timeout(60_000);
    let dataSource: DataSource;
    let context: ChangeContext;
    const reserved = randomUUID();
    const row = async (n: number) => (await dataSource.query(
      'SELECT id, manager_id, version, profile FROM users WHERE source_anchor = ?', [anchor(n)],
    ) as { id: string; manager_id: string | null; version: number; profile: string }[])[0];
    const create = (n: number, options: { id?: string; manager?: string } = {}) => ({
      action: 'create' as const, anchor: anchor(n), dn: `CN=U${n},OU=Staff,DC=corp,DC=example`, userId: null,
      ...(options.id === undefined ? {} : { id: options.id }),
      profile: {
        userName: `link${n}@corp.example`, externalId: anchor(n), active: true, title: `Title ${n}`,
        ...(options.manager === undefined ? {} : { enterprise: { manager: { value: options.manager } } }),
      },
    });

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      context = batchSyncContext({ requestId: 'manager-links-test', ...await new ServiceAccounts(dataSource).actingAs(BATCH_SYNC_ACCOUNT.id) });
      // Users 2 and 3 name a reserved manager id; user 1 is the manager, created without it (as when it was in the store already).
      const outcomes = await applyDirectoryChanges(dataSource, context, [
        create(1), create(2, { manager: reserved }), create(3, { manager: reserved }), create(4, { manager: reserved }),
      ]);
      expect(outcomes.every((outcome) => outcome.changed && outcome.error === undefined)).to.equal(true);
    });

    after(async () => {
      await dataSource?.destroy();
    });

    it('creates a user with the id reserved for it', async () => {
      const id = randomUUID();
      const [outcome] = await applyDirectoryChanges(dataSource, context, [create(5, { id })]);
      expect(outcome).to.deep.include({ userId: id, changed: true });
      expect((await row(5))?.id).to.equal(id);
    });

    it('gives each user still naming the reserved id its manager\'s real id, bumps the version and audits each by id', async () => {
      await linkDirectoryManagers(dataSource, context, [
        { anchor: anchor(2), managerAnchor: anchor(1), reserved }, { anchor: anchor(3), managerAnchor: anchor(1), reserved },
      ]);
      const manager = await row(1);
      for (const n of [2, 3]) {
        const linked = await row(n);
        expect(linked?.manager_id).to.equal(manager?.id);
        expect(JSON.parse(linked?.profile ?? '{}')).to.deep.include({ title: `Title ${n}`, enterprise: { manager: { value: manager?.id } } });
        expect(Number(linked?.version)).to.equal(2);
        const audits = await dataSource.query(
          "SELECT changes FROM audit_events WHERE action = 'user.update' AND target_id = ?", [linked?.id],
        ) as { changes: string }[];
        expect(audits).to.have.length(1);
        expect(audits[0]?.changes).to.include('enterprise.manager');
      }
      expect((await row(1))?.manager_id, 'the manager itself is untouched').to.equal(null);
    });

    it('leaves a user whose manager is no longer the reserved id as it is', async () => {
      const before = await row(2);
      await linkDirectoryManagers(dataSource, context, [{ anchor: anchor(2), managerAnchor: null, reserved }]);
      const after = await row(2);
      expect(after?.manager_id).to.equal(before?.manager_id).and.not.equal(null);
      expect(Number(after?.version)).to.equal(Number(before?.version));
    });

    it('takes the reserved id away when the store holds no user of the manager\'s anchor', async () => {
      await linkDirectoryManagers(dataSource, context, [{ anchor: anchor(4), managerAnchor: anchor(9), reserved }]);
      const unlinked = await row(4);
      expect(unlinked?.manager_id).to.equal(null);
      expect(JSON.parse(unlinked?.profile ?? '{}')).to.not.have.property('enterprise');
      expect(Number(unlinked?.version)).to.equal(2);
    });

    it('is refused to any door but the sync', async () => {
      const refused = await linkDirectoryManagers(dataSource, { ...context, door: 'scim' }, [{ anchor: anchor(1), managerAnchor: anchor(2), reserved }])
        .then(() => undefined, (error: unknown) => error);
      expect(String(refused)).to.include('Only the directory sync');
      expect((await row(1))?.manager_id).to.equal(null);
    });
  });
}
