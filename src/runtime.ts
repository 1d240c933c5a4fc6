import type { DataSource } from 'typeorm';
import { loadConfig, type Config } from './config';
import { describeDatabase, openDataSource } from './db/data-source';

/** Opens the configured database the same way for the server and the CLI. */
export async function openStore(config: Config, options: { migrate: boolean }): Promise<DataSource> {
  const dataSource = await openDataSource(config.database);
  try {
    if (options.migrate) await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

export { describeDatabase, loadConfig };
