import 'reflect-metadata';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import type { DatabaseConfig } from '../config';
import { ConfigError } from '../errors';
import { describeError } from '../log-error';
import { entities } from './entities';
import { mysql2WithSessionSettings } from './session-settings';
import { PREPARED_STATEMENTS_PER_CONNECTION } from './statement-batch';

/**
 * mysql2 pool bounds, so that a database outage costs a request seconds, not a hang (docs/operations.md,
 * "Database outages"). Connections: as before, 20 per process.
 */
const POOL_CONNECTION_LIMIT = 20;
/** A new connection that has not finished its handshake by then fails (ETIMEDOUT): a silent host, not a slow one. mysql2's default is 10 s. */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * Requests waiting for a connection while all are busy. Beyond this the pool refuses at once ("Queue
 * limit reached.", answered 503) instead of piling up callers behind a database that has stopped
 * answering; 0 would mean no limit, mysql2's default.
 */
const POOL_QUEUE_LIMIT = 200;
/**
 * TCP keep-alive on idle connections from 10 s of silence on, so that a connection whose server
 * vanished without a FIN (a host that died, a dropped network) is found dead and leaves the pool
 * while idle, once the operating system's probes go unanswered (its interval and count: about 11
 * minutes with Linux defaults), instead of only when a request next uses it.
 */
const KEEP_ALIVE_INITIAL_DELAY_MS = 10_000;
/** Idle connections are closed after this long, so a pool full of connections to a restarted server does not linger. */
const POOL_IDLE_TIMEOUT_MS = 60_000;

/** Builds (but does not open) the DataSource for the configured database. */
export function createDataSource(database: DatabaseConfig): DataSource {
  const common = { entities, migrations, migrationsTableName: 'scimd_migrations', logging: false } as const;
  let options: DataSourceOptions;
  if (database.kind === 'sqlite') {
    options = {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      // WAL lets readers run while the single writer commits; busy_timeout makes a second
      // process (the CLI beside a running server) wait for the lock instead of failing at once.
      enableWAL: true,
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    };
  } else {
    options = {
      ...common,
      type: 'mariadb',
      // Per-connection settings a Galera cluster needs for reads after writes (session-settings.ts).
      driver: mysql2WithSessionSettings(),
      url: database.url,
      charset: 'utf8mb4_bin',
      timezone: 'Z',
      // A transaction sends its writes with the statement after them, several to a query
      // (statement-batch.ts). Every value reaches SQL through the driver's escaping, never as text.
      multipleStatements: true,
      extra: {
        connectionLimit: POOL_CONNECTION_LIMIT, connectTimeout: CONNECT_TIMEOUT_MS, queueLimit: POOL_QUEUE_LIMIT,
        enableKeepAlive: true, keepAliveInitialDelay: KEEP_ALIVE_INITIAL_DELAY_MS, idleTimeout: POOL_IDLE_TIMEOUT_MS,
        // No stack captured per statement for the driver's own errors: TypeORM wraps every failed
        // statement in an error with the caller's stack anyway, and the capture was a few percent of
        // a request's CPU (docs/benchmarks.md, "Sixth run").
        trace: false,
        // Statements of many values run prepared and stay so, a few per connection (statement-batch.ts).
        maxPreparedStatements: PREPARED_STATEMENTS_PER_CONNECTION,
      },
    };
  }
  return new DataSource(options);
}

/**
 * The database could not be opened (unreachable server, refused login, unknown database, a file
 * SQLite cannot open). The message names the database without its credentials and gives the
 * driver's reason with quoted text scrubbed (describeError); the driver's error is the cause.
 */
export class DatabaseUnavailableError extends Error {
  constructor(database: DatabaseConfig, cause: unknown) {
    // An AggregateError (every address of a host name refused) has no message of its own.
    const { type, message, code } = describeError(cause);
    const reason = message || code || type;
    super(`cannot open the database ${describeDatabase(database)} (DATABASE_URL): ${reason}`
      + `${code && !reason.includes(code) ? ` (${code})` : ''}`, { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

export interface OpenOptions {
  /**
   * Create the SQLite file's folder when it is missing. Only for the default database (DATABASE_URL
   * unset), when the server or `migrate` starts: an explicit path in a folder that does not exist is
   * far more often a typo, or another process's DATABASE_URL, than a wish for a new, empty database.
   */
  readonly createFolder?: boolean;
}

/** Opens the DataSource; throws DatabaseUnavailableError when it cannot. */
export async function openDataSource(database: DatabaseConfig, options: OpenOptions = {}): Promise<DataSource> {
  if (database.kind === 'sqlite' && database.path !== ':memory:') {
    const folder = path.dirname(path.resolve(database.path));
    if (options.createFolder) mkdirSync(folder, { recursive: true });
    else if (!existsSync(folder)) throw missingFolderError(database.path, folder);
  }
  const dataSource = createDataSource(database);
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new DatabaseUnavailableError(database, error);
  }
  return dataSource;
}

function missingFolderError(file: string, folder: string): ConfigError {
  return new ConfigError(`DATABASE_URL: the folder ${folder} of sqlite:${file} does not exist; create it, or correct `
    + 'DATABASE_URL (the server and the CLI must use the same one). scimd makes no folder for an explicit path, '
    + 'so that a typo cannot start a new, empty database');
}

/** True when every known migration has been applied. */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}

/** Describes the database without its password, for logs, errors and `migrate`: `mariadb://scimd@db:3306/scimd`. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`;
  const url = new URL(database.url);
  return `mariadb://${url.username ? `${url.username}@` : ''}${url.host}${url.port ? '' : ':3306'}${url.pathname}`;
}
