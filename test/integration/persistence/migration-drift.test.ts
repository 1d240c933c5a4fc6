import { expect } from 'chai';
import { openDataSource } from '../../../src/db/data-source';
import { testDatabases } from '../../support/databases';

for (const database of testDatabases()) {
  describe(`Migrations on ${database.name}`, () => {
    it('build exactly the schema the entities describe (no drift)', async () => {
      const dataSource = await openDataSource(await database.fresh());
      try {
        await dataSource.runMigrations();
        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((query) => query.query)).to.deep.equal([]);
      } finally {
        await dataSource.destroy();
      }
    });

    it('seed every system role, immutable and with its permissions', async () => {
      const dataSource = await openDataSource(await database.fresh());
      try {
        await dataSource.runMigrations();
        const rows = await dataSource.query('SELECT display_name, kind, assignable_to, permissions FROM roles') as
          { display_name: string; kind: string; assignable_to: string; permissions: string }[];
        const byName = new Map(rows.map((row) => [row.display_name, row]));
        for (const name of ['Super Administrator', 'Administrator', 'Auditor', 'Help Desk Administrator',
          'User administrator', 'Operator', 'Identity Accounts - Validator', 'Identity Accounts - Creator',
          'SCIM Provisioning', 'Read-only API Access', 'Full API Access', 'Batch sync']) {
          expect(byName.get(name)?.kind, name).to.equal('system');
        }
        expect(byName.get('Batch sync')?.assignable_to).to.equal('service');
        expect(JSON.parse(byName.get('Read-only API Access')?.permissions ?? '[]')).to.not.include('users:write');
      } finally {
        await dataSource.destroy();
      }
    });

    it('run down and up again cleanly', async () => {
      const dataSource = await openDataSource(await database.fresh());
      try {
        await dataSource.runMigrations();
        await dataSource.undoLastMigration();
        await dataSource.undoLastMigration();
        expect(await dataSource.showMigrations()).to.equal(true);
        await dataSource.runMigrations();
        expect(await dataSource.showMigrations()).to.equal(false);
      } finally {
        await dataSource.destroy();
      }
    });
  });
}
