import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from './config';
import { describeDatabase, openDataSource } from './db/data-source';
import { ConfigError } from './errors';
import { settleAuditSeals } from './governance/audit-seal';

export interface StoreOptions {
  /** Apply pending migrations once open. */
  readonly migrate: boolean;
  /**
   * Whether this start may create the default SQLite database's folder (./data, when DATABASE_URL
   * is unset); default true, as for the server. The CLI's other commands pass false: a CLI run in a
   * shell without the server's DATABASE_URL must stop, not mint tokens into a new database that
   * the server never reads. An explicit `sqlite:` path's folder is never created (src/db/data-source.ts).
   */
  readonly createDefaultFolder?: boolean;
}

/** Opens the configured database the same way for the server and the CLI. */
export async function openStore(config: Config, options: StoreOptions): Promise<DataSource> {
  const createFolder = config.defaultDatabase === true && options.createDefaultFolder !== false;
  if (config.defaultDatabase === true && !createFolder && config.database.kind === 'sqlite'
    && !existsSync(path.dirname(path.resolve(config.database.path)))) {
    throw new ConfigError(`DATABASE_URL is not set, and the default database ${config.database.path} does not exist `
      + 'here (no ./data folder). If the server uses another database, set DATABASE_URL as the server has it (or run '
      + 'where its .env is); to start the default one, run the server once (npm start) or scimd migrate');
  }
  const dataSource = await openDataSource(config.database, { createFolder });
  try {
    if (options.migrate) await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** Closes a store this process opened, once the audit seals it started have ended (src/governance/audit-seal.ts). */
export async function closeStore(dataSource: DataSource): Promise<void> {
  await settleAuditSeals(dataSource);
  await dataSource.destroy();
}

export { describeDatabase, loadConfig };
