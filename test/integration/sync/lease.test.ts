import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../../../src/config';
import { openDataSource } from '../../../src/db/data-source';
import { acquireLease, getLease, releaseLease, renewLease } from '../../../src/db/lease';
import { transaction } from '../../../src/db/transaction';
import { testDatabases } from '../../support/databases';

const MINUTE = 60_000;

/** Makes a lease look as if its holder stopped renewing it a while ago. */
async function expire(dataSource: DataSource, name: string): Promise<void> {
  const past = new Date(Date.now() - MINUTE).toISOString();
  await dataSource.query('UPDATE leases SET expires_at = ? WHERE name = ?', [past, name]);
}

for (const database of testDatabases()) {
  describe(`Leases for the sync (one holder at a time) on ${database.name}`, () => {
    let config: DatabaseConfig;
    let dataSource: DataSource;

    before(async () => {
      config = await database.fresh();
      dataSource = await openDataSource(config);
      await dataSource.runMigrations();
    });

    after(async () => {
      await dataSource.destroy();
    });

    it('gives a free lease to the first holder only', async () => {
      expect(await getLease(dataSource, 'one')).to.equal(undefined);
      expect(await acquireLease(dataSource, 'one', 'alpha', MINUTE)).to.equal(true);
      expect(await acquireLease(dataSource, 'one', 'beta', MINUTE)).to.equal(false);
      const lease = await getLease(dataSource, 'one');
      expect(lease).to.include({ name: 'one', holder: 'alpha', active: true });
      expect(Date.parse(lease?.expiresAt ?? '') - Date.parse(lease?.acquiredAt ?? '')).to.equal(MINUTE);
      expect(await acquireLease(dataSource, 'other', 'beta', MINUTE), 'leases are independent by name').to.equal(true);
    });

    it('lets the holder acquire again (extending it) and renew; others cannot renew or release it', async () => {
      expect(await acquireLease(dataSource, 'two', 'alpha', 1_000)).to.equal(true);
      expect(await acquireLease(dataSource, 'two', 'alpha', MINUTE)).to.equal(true);
      expect(await renewLease(dataSource, 'two', 'alpha', 2 * MINUTE)).to.equal(true);
      const lease = await getLease(dataSource, 'two');
      expect(Date.parse(lease?.expiresAt ?? '') - Date.now()).to.be.greaterThan(MINUTE);
      expect(await renewLease(dataSource, 'two', 'beta', MINUTE)).to.equal(false);
      expect(await releaseLease(dataSource, 'two', 'beta')).to.equal(false);
      expect((await getLease(dataSource, 'two'))?.holder).to.equal('alpha');
    });

    it('lets another holder take over an expired lease, after which the old holder cannot renew it', async () => {
      expect(await acquireLease(dataSource, 'three', 'alpha', MINUTE)).to.equal(true);
      await expire(dataSource, 'three');
      expect((await getLease(dataSource, 'three'))?.active).to.equal(false);
      expect(await acquireLease(dataSource, 'three', 'beta', MINUTE)).to.equal(true);
      expect((await getLease(dataSource, 'three'))).to.include({ holder: 'beta', active: true });
      expect(await renewLease(dataSource, 'three', 'alpha', MINUTE)).to.equal(false);
      expect(await releaseLease(dataSource, 'three', 'alpha')).to.equal(false);
      expect(await acquireLease(dataSource, 'three', 'alpha', MINUTE)).to.equal(false);
    });

    it('release frees the lease for the next holder', async () => {
      expect(await acquireLease(dataSource, 'four', 'alpha', MINUTE)).to.equal(true);
      expect(await releaseLease(dataSource, 'four', 'alpha')).to.equal(true);
      expect(await getLease(dataSource, 'four')).to.equal(undefined);
      expect(await releaseLease(dataSource, 'four', 'alpha')).to.equal(false);
      expect(await acquireLease(dataSource, 'four', 'beta', MINUTE)).to.equal(true);
    });

    it('among many simultaneous contenders, exactly one wins a free lease and exactly one an expired one', async () => {
      const holders = Array.from({ length: 10 }, (_, i) => `holder-${i}`);
      const first = await Promise.all(holders.map((holder) => acquireLease(dataSource, 'five', holder, MINUTE)));
      expect(first.filter(Boolean)).to.have.length(1);
      await expire(dataSource, 'five');
      const second = await Promise.all(holders.map((holder) => acquireLease(dataSource, 'five', `${holder}-again`, MINUTE)));
      expect(second.filter(Boolean)).to.have.length(1);
      expect((await getLease(dataSource, 'five'))?.holder).to.equal(`${holders[second.indexOf(true)] ?? ''}-again`);
    });

    it('is not rolled back with a transaction that happens to be open at the same time', async () => {
      const failing = transaction(dataSource, async (manager) => {
        await manager.query('UPDATE leases SET holder = holder WHERE name = ?', ['none']);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('rolled back');
      });
      const acquired = acquireLease(dataSource, 'six', 'alpha', MINUTE);
      await failing.catch(() => undefined);
      expect(await acquired).to.equal(true);
      expect((await getLease(dataSource, 'six'))?.holder).to.equal('alpha');
    });

    it('refuses nonsense arguments', async () => {
      for (const attempt of [
        () => acquireLease(dataSource, '', 'alpha', MINUTE), () => acquireLease(dataSource, 'x', '', MINUTE),
        () => acquireLease(dataSource, 'x', 'alpha', 0), () => renewLease(dataSource, 'x', 'alpha', -5),
        () => acquireLease(dataSource, 'x'.repeat(65), 'alpha', MINUTE),
      ]) {
        let error: unknown;
        try {
          await attempt();
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(RangeError);
      }
    });

    if (database.name === 'mariadb') {
      it('two replicas (separate DataSources and connection pools) never both hold the lease', async () => {
        const replicaB = await openDataSource(config);
        try {
          for (let round = 0; round < 20; round++) {
            const name = `replicas-${round}`;
            if (round % 2 === 1) {
              expect(await acquireLease(dataSource, name, 'stale', MINUTE)).to.equal(true);
              await expire(dataSource, name);
            }
            const contenders = [dataSource, replicaB].flatMap((replica, r) => Array.from({ length: 4 }, (_, i) =>
              acquireLease(replica, name, `replica-${r}-${i}`, MINUTE).then((won) => (won ? `replica-${r}-${i}` : undefined))));
            const winners = (await Promise.all(contenders)).filter((winner) => winner !== undefined);
            expect(winners, `round ${round}`).to.have.length(1);
            expect((await getLease(replicaB, name))?.holder).to.equal(winners[0]);
          }
          expect(await acquireLease(replicaB, 'handover', 'b', MINUTE)).to.equal(true);
          expect(await acquireLease(dataSource, 'handover', 'a', MINUTE)).to.equal(false);
          expect(await releaseLease(replicaB, 'handover', 'b')).to.equal(true);
          expect(await acquireLease(dataSource, 'handover', 'a', MINUTE)).to.equal(true);
        } finally {
          await replicaB.destroy();
        }
      });
    }
  });
}
