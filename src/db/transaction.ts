import type { DataSource, EntityManager } from 'typeorm';
import { retryOnConflict } from './conflict-retry';

/**
 * Runs `work` in one database transaction. TypeORM's SQLite driver shares a single connection, on
 * which a second BEGIN while one transaction is open fails; so on SQLite transactions queue one
 * after another (SQLite admits one writer at a time anyway). MariaDB gets a pooled connection each,
 * and a transaction aborted by a deadlock or a Galera certification conflict runs again from the
 * start (conflict-retry.ts): `work` must be safe to rerun.
 */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

export function transaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') return retryOnConflict(() => dataSource.transaction(work));
  const previous = sqliteQueues.get(dataSource) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => dataSource.transaction(work));
  sqliteQueues.set(dataSource, run.catch(() => undefined));
  return run;
}
