import mysql2 from 'mysql2';
import type { DataSource } from 'typeorm';
import { reusePromiseWrapper } from './promise-wrapper';

/**
 * Session settings every MariaDB connection gets as the pool opens it, before any query of ours.
 *
 * On a Galera cluster a write committed through one node is applied on the others a moment later
 * (replication is virtually synchronous: certified everywhere at commit, applied asynchronously).
 * A replica writing through node 1 and another reading through node 2 could therefore read an older
 * row: a SCIM client that creates a user on one replica and GETs it on the other would get a 404,
 * and a transaction could start from a stale version. wsrep_sync_wait = 1 makes every SELECT, SHOW
 * and BEGIN on this connection first wait until the node has applied everything the cluster had
 * committed when it was sent (a causality check; it costs one cluster round trip per statement).
 *
 * Only a Galera node gets it: the statement keeps the session's value unless wsrep is on and a
 * provider is loaded, so a single MariaDB server is left exactly as it was. A server without the
 * wsrep variables at all (MySQL) rejects the statement; that rejection is ignored, as such a server
 * is no Galera node, and an unreachable server fails the query that follows anyway.
 */
/** True on a Galera cluster node: wsrep on, with a provider loaded. */
const GALERA_NODE = "@@GLOBAL.wsrep_on = 1 AND @@GLOBAL.wsrep_provider <> 'none'";

export const GALERA_SESSION_SQL = `SET SESSION wsrep_sync_wait = IF(${GALERA_NODE}, 1, @@SESSION.wsrep_sync_wait)`;

/** The part of a freshly opened mysql2 connection used here. */
interface NewConnection {
  query(sql: string, callback: (error: unknown) => void): unknown;
  promise(promiseImpl?: PromiseConstructor): unknown;
}

/**
 * mysql2 with a pool that applies the session settings to each connection it opens, for TypeORM's
 * `driver` option (and gives each connection one promise wrapper: promise-wrapper.ts). mysql2 queues a connection's commands in order, so the SET is sent before
 * whatever the pool's caller sends on the new connection.
 */
export function mysql2WithSessionSettings(): typeof mysql2 {
  // TypeORM passes an options object (MysqlDriver.createConnectionOptions), never a URI string.
  const createPool = (options: mysql2.PoolOptions): mysql2.Pool => {
    const pool = mysql2.createPool(options);
    pool.on('connection', (connection: NewConnection) => {
      connection.query(GALERA_SESSION_SQL, () => undefined);
      reusePromiseWrapper(connection);
    });
    return pool;
  };
  return Object.assign(Object.create(mysql2) as typeof mysql2, { createPool });
}

const galeraNodes = new WeakMap<DataSource, Promise<boolean>>();

/**
 * Whether the database is a Galera cluster node, asked once per DataSource (transaction.ts sends a
 * Galera node one statement per query). A server without the wsrep variables (MySQL) is no Galera
 * node; any other failure leaves the question open for the next caller, and answers yes meanwhile,
 * the safe answer.
 */
export function isGaleraNode(dataSource: DataSource): Promise<boolean> {
  let known = galeraNodes.get(dataSource);
  if (!known) {
    known = dataSource.query(`SELECT IF(${GALERA_NODE}, 1, 0) AS galera`)
      .then((rows: { galera: number | string }[]) => Number(rows[0]?.galera) === 1, (error: unknown) => {
        if ((error as { code?: unknown }).code === 'ER_UNKNOWN_SYSTEM_VARIABLE') return false;
        galeraNodes.delete(dataSource);
        return true;
      });
    galeraNodes.set(dataSource, known);
  }
  return known;
}
