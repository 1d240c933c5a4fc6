import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { ServiceAccounts } from '../../../src/auth/service-accounts';
import { openDataSource } from '../../../src/db/data-source';
import { BATCH_SYNC_ACCOUNT, batchSyncContext, type ChangeContext } from '../../../src/identity/change-context';
import { applyDirectoryChanges, linkDirectoryManagers } from '../../../src/identity/directory-writes';
import { testDatabases } from '../../support/databases';

const anchor = (n: number): string => `0000000${n}-0000-4000-8000-00000000000${n}`;

/**
 * Manager links a streamed full sync makes after the read (directory-writes.ts): the same change as
 * any update (profile, manager_id, version, updated_at, an audit row by id), a batch per statement.
 */
for (const database of testDatabases()) {
  describe(`Directory manager links on ${database.name}`, function () {
    this.timeout(60_000);
    let dataSource: DataSource;
    let context: ChangeContext;
    const row = async (n: number) => (await dataSource.query(
      'SELECT id, manager_id, version, profile FROM users WHERE source_anchor = ?', [anchor(n)],
    ) as { id: string; manager_id: string | null; version: number; profile: string }[])[0];

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      context = batchSyncContext({ requestId: 'manager-links-test', ...await new ServiceAccounts(dataSource).actingAs(BATCH_SYNC_ACCOUNT.id) });
      const outcomes = await applyDirectoryChanges(dataSource, context, [1, 2, 3].map((n) => ({
        action: 'create' as const, anchor: anchor(n), dn: `CN=U${n},OU=Staff,DC=corp,DC=example`, userId: null,
        profile: { userName: `link${n}@corp.example`, externalId: anchor(n), active: true, title: `Title ${n}` },
      })));
      expect(outcomes.every((outcome) => outcome.changed && outcome.error === undefined)).to.equal(true);
    });

    after(async () => {
      await dataSource?.destroy();
    });

    it('links each user to its manager in the profile and the column, bumps the version and audits each by id', async () => {
      await linkDirectoryManagers(dataSource, context, [
        { anchor: anchor(2), managerAnchor: anchor(1) }, { anchor: anchor(3), managerAnchor: anchor(1) },
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

    it('writes nothing for a link already in place or naming a user the store does not hold', async () => {
      const before = await row(2);
      await linkDirectoryManagers(dataSource, context, [
        { anchor: anchor(2), managerAnchor: anchor(1) }, { anchor: anchor(3), managerAnchor: anchor(9) },
      ]);
      expect(Number((await row(2))?.version)).to.equal(Number(before?.version));
      expect(Number((await row(3))?.version)).to.equal(2);
    });

    it('is refused to any door but the sync', async () => {
      const refused = await linkDirectoryManagers(dataSource, { ...context, door: 'scim' }, [{ anchor: anchor(1), managerAnchor: anchor(2) }])
        .then(() => undefined, (error: unknown) => error);
      expect(String(refused)).to.include('Only the directory sync');
      expect((await row(1))?.manager_id).to.equal(null);
    });
  });
}
