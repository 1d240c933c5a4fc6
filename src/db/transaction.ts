import type { DataSource, EntityManager } from 'typeorm';
import { retryOnConflict } from './conflict-retry';
import { isGaleraNode } from './session-settings';
import { batchStatements } from './statement-batch';

/**
 * Runs `work` in one database transaction. TypeORM's SQLite driver shares a single connection, on
 * which a second BEGIN while one transaction is open fails; so on SQLite transactions queue one
 * after another (SQLite admits one writer at a time anyway). MariaDB gets a pooled connection each,
 * and a transaction aborted by a deadlock or a Galera certification conflict runs again from the
 * start (conflict-retry.ts): `work` must be safe to rerun.
 */
const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

export async function transaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  let hooks = new Map<string, AfterCommit>();
  // Each attempt starts with no hooks: those of an attempt that was rolled back must not run.
  const attempt = (manager: EntityManager): Promise<T> => {
    hooks = new Map();
    commitHooks.set(manager, hooks);
    return work(manager);
  };
  const result = await inOneTransaction(dataSource, attempt);
  for (const hook of hooks.values()) await hook();
  return result;
}

function inOneTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') return retryOnConflict(() => batchedTransaction(dataSource, work));
  const previous = sqliteQueues.get(dataSource) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => dataSource.transaction(work));
  sqliteQueues.set(dataSource, run.catch(() => undefined));
  return run;
}

/**
 * A MariaDB transaction whose statements travel in as few round trips as their reads allow
 * (statement-batch.ts); otherwise what TypeORM's DataSource.transaction() does.
 */
async function batchedTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  // Not on a Galera node: a transaction there can be aborted by another node's write while it waits
  // between two statements (a brute-force abort), and a multi-statement query that followed such an
  // abort was seen to commit its writes on a stale read: two If-Match PATCHes through two nodes both
  // won (test/cluster/scim-writes.test.ts). One statement per query, the abort answers the next
  // statement with a deadlock error and the transaction runs again (conflict-retry.ts).
  if (!await isGaleraNode(dataSource)) batchStatements(runner);
  try {
    await runner.startTransaction();
    const result = await work(runner.manager);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    try {
      await runner.rollbackTransaction();
    } catch {
      // The first error is the one to report; a connection that failed is rolled back by the server.
    }
    throw error;
  } finally {
    await runner.release();
  }
}

/** Work to do once a transaction has committed; it must not throw (the change is made by then). */
export type AfterCommit = () => Promise<void>;

const commitHooks = new WeakMap<EntityManager, Map<string, AfterCommit>>();

/**
 * Runs `hook` once the transaction of `manager` (one transaction() opened) has committed, before
 * transaction() returns; a hook registered twice under one `key` runs once. Nothing runs when the
 * transaction rolls back. Returns false when `manager` is no transaction()'s (the caller then
 * decides what to do: its statements have committed already).
 */
export function afterCommit(manager: EntityManager, key: string, hook: AfterCommit): boolean {
  const hooks = commitHooks.get(manager);
  if (!hooks) return false;
  hooks.set(key, hook);
  return true;
}

/**
 * Runs `work` outside any transaction of the caller's: on MariaDB each statement on its own
 * (autocommit), so no lock outlives it and two contenders cannot deadlock on gap locks; on a Galera
 * cluster two contenders on different nodes can still both pass locally, certification then aborts
 * one (a deadlock error once the node's own autocommit retry is spent), and the step runs again
 * and sees the winner's row (conflict-retry.ts); on SQLite through the transaction queue
 * above, because its one shared connection would otherwise run the statement inside whatever
 * transaction happens to be open. For small steps that must not wait on, or hold, a transaction:
 * the sync lease (lease.ts), the mail outbox's claims (governance/outbox.ts).
 */
export function alone<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return dataSource.options.type === 'better-sqlite3' ? transaction(dataSource, work) : retryOnConflict(() => work(dataSource.manager));
}
