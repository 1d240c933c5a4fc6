import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import type { DatabaseConfig } from '../config';
import { entities } from './entities';

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
      url: database.url,
      charset: 'utf8mb4_bin',
      timezone: 'Z',
      extra: { connectionLimit: 20 },
    };
  }
  return new DataSource(options);
}

/** Opens the DataSource, creating the SQLite file's folder on first start. */
export async function openDataSource(database: DatabaseConfig): Promise<DataSource> {
  if (database.kind === 'sqlite' && database.path !== ':memory:') {
    mkdirSync(path.dirname(path.resolve(database.path)), { recursive: true });
  }
  const dataSource = createDataSource(database);
  await dataSource.initialize();
  return dataSource;
}

/** True when every known migration has been applied. */
export async function migrationsApplied(dataSource: DataSource): Promise<boolean> {
  return !(await dataSource.showMigrations());
}

/** Describes the database without its credentials, for logs and `healthcheck`. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`;
  const url = new URL(database.url);
  return `mariadb://${url.hostname}:${url.port || '3306'}${url.pathname}`;
}
