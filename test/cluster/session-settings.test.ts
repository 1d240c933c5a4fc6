import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../src/db/data-source';
import { clusterUrls } from '../support/cluster';

/**
 * src/db/session-settings.ts on a real Galera node: every pooled connection, the first one TypeORM
 * opens included, waits for causality (wsrep_sync_wait = 1), so a read through one node sees what
 * was committed through another.
 */
describe('Scale-out › session settings on a Galera node', () => {
  let dataSource: DataSource | undefined;

  after(async () => {
    await dataSource?.destroy();
  });

  it('sets wsrep_sync_wait = 1 on every connection of the pool', async () => {
    dataSource = await openDataSource({ kind: 'mariadb', url: clusterUrls()[1] as string });
    // Six connections held at once: the pool reuses the one it opened at start and opens five more.
    const runners = Array.from({ length: 6 }, () => (dataSource as DataSource).createQueryRunner());
    try {
      const waits: number[] = [];
      const ids = new Set<string>();
      for (const runner of runners) {
        await runner.connect();
        const rows = await runner.query('SELECT @@SESSION.wsrep_sync_wait AS wait, CONNECTION_ID() AS id') as { wait: number | string; id: number | string }[];
        waits.push(Number(rows[0]?.wait));
        ids.add(String(rows[0]?.id));
      }
      expect(ids.size, 'six connections').to.equal(6);
      expect(waits).to.deep.equal([1, 1, 1, 1, 1, 1]);
    } finally {
      await Promise.all(runners.map((runner) => runner.release()));
    }
  });
});
