import { expect } from 'chai';
import type { DataSource, QueryRunner } from 'typeorm';
import type { DatabaseConfig } from '../../../src/config';
import { openDataSource } from '../../../src/db/data-source';
import { acquireLease, getLease, releaseLease, renewLease } from '../../../src/db/lease';
import { transaction } from '../../../src/db/transaction';
import { testDatabases } from '../../support/databases';

const MINUTE = 60_000;

/**
 * Records the statements that `matches` as SQLite's one shared connection runs them (TypeORM's
 * better-sqlite3 driver hands every caller the same query runner), until stop().
 */
function recordStatements(dataSource: DataSource, matches: (sql: string, parameters: readonly unknown[]) => boolean): {
  readonly seen: string[];
  stop(): void;
} {
  const runner = dataSource.createQueryRunner();
  const original = runner.query;
  const seen: string[] = [];
  const recording = function (this: QueryRunner, ...args: unknown[]): unknown {
    const [sql, parameters] = args;
    if (typeof sql === 'string' && matches(sql, Array.isArray(parameters) ? parameters : [])) seen.push(sql);
    return Reflect.apply(original, this, args);
  };
  runner.query = recording as QueryRunner['query'];
  return { seen, stop: () => { runner.query = original; } };
}

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

    // On SQLite the contenders queue (src/db/transaction.ts) and this checks the outcome of ten
    // acquires in a row; on MariaDB they run on separate pooled connections and really race.
    it(`among many contenders (${database.name === 'mariadb' ? 'racing on pooled connections' : 'queued one after another'}), exactly one wins a free lease and exactly one an expired one`, async () => {
      const holders = Array.from({ length: 10 }, (_, i) => `holder-${i}`);
      const first = await Promise.all(holders.map((holder) => acquireLease(dataSource, 'five', holder, MINUTE)));
      expect(first.filter(Boolean)).to.have.length(1);
      await expire(dataSource, 'five');
      const second = await Promise.all(holders.map((holder) => acquireLease(dataSource, 'five', `${holder}-again`, MINUTE)));
      expect(second.filter(Boolean)).to.have.length(1);
      expect((await getLease(dataSource, 'five'))?.holder).to.equal(`${holders[second.indexOf(true)] ?? ''}-again`);
    });

    // SQLite only: TypeORM gives SQLite one shared connection, so a lease statement run beside an open
    // transaction would run inside it and go with its rollback. On MariaDB every caller has its own
    // pooled connection, and the question does not arise.
    if (database.name === 'sqlite') {
      it('on SQLite, waits for a transaction open on the shared connection instead of running inside it (and its rollback)', async () => {
        const leaseStatements = recordStatements(dataSource, (sql, parameters) => /\bleases\b/i.test(sql) && parameters.includes('six'));
        let opened: () => void = () => undefined;
        const open = new Promise<void>((resolve) => { opened = resolve; });
        let rollBack: () => void = () => undefined;
        const release = new Promise<void>((resolve) => { rollBack = resolve; });
        const failing = transaction(dataSource, async (manager) => {
          await manager.query('UPDATE leases SET holder = holder WHERE name = ?', ['none']);
          opened();
          await release;
          throw new Error('rolled back');
        });
        try {
          // The interleaving that would lose the lease, forced: the other transaction is open (it has
          // written) and stays open until acquireLease has done all it can without waiting for it.
          await open;
          let settled = false;
          const acquired = acquireLease(dataSource, 'six', 'alpha', MINUTE).finally(() => { settled = true; });
          // better-sqlite3 runs each statement synchronously and TypeORM adds only promise steps, so
          // after one turn of the event loop every statement acquireLease could run now has run:
          // routed past the queue, both its UPDATE and its INSERT land here, inside the open transaction.
          await new Promise((resolve) => setImmediate(resolve));
          expect(leaseStatements.seen, 'lease statements while the other transaction was open').to.deep.equal([]);
          expect(settled, 'acquireLease finished while the other transaction was open').to.equal(false);
          rollBack();
          await failing.catch(() => undefined);
          expect(await acquired).to.equal(true);
          expect((await getLease(dataSource, 'six'))?.holder, 'the lease survived the other rollback').to.equal('alpha');
          expect(leaseStatements.seen, 'lease statements once the other transaction ended').to.not.be.empty;
        } finally {
          rollBack();
          await failing.catch(() => undefined);
          leaseStatements.stop();
        }
      });
    }

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
