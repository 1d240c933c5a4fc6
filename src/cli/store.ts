import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { localOperatorContext, type ChangeContext } from '../identity/change-context';
import { closeStore, openStore } from '../runtime';

/**
 * Opens the configured store for one CLI command (migrating first when MIGRATE_ON_START allows), then
 * closes it. It never starts the default database: that is the server's first start (or `migrate`).
 */
export async function withStore<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const dataSource = await openStore(config, { migrate: config.migrateOnStart, createDefaultFolder: false });
  try {
    return await work(dataSource);
  } finally {
    await closeStore(dataSource);
  }
}

/** CLI changes are audited as the operating-system user who ran them. */
export function cliContext(): ChangeContext {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): the audit still says the change came through the CLI.
  }
  return localOperatorContext(`cli:${name}`);
}
