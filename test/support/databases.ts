import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/config';
import { openDataSource } from '../../src/db/data-source';

/**
 * The databases integration suites run against: an SQLite file and the MariaDB that `npm test`
 * prepares (TEST_DATABASE_URL). SCIMD_TEST_DATABASES=sqlite narrows a quick local run.
 */
export interface TestDatabase {
  readonly name: 'sqlite' | 'mariadb';
  /** A fresh, empty database config for one suite. */
  fresh(): Promise<DatabaseConfig>;
}

let counter = 0;

const sqlite: TestDatabase = {
  name: 'sqlite',
  async fresh() {
    const dir = process.env.SCIMD_TEST_SQLITE_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'scimd-test-'));
    return { kind: 'sqlite', path: path.join(dir, `suite-${process.pid}-${counter++}.sqlite`) };
  },
};

const mariadb: TestDatabase = {
  name: 'mariadb',
  async fresh() {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set: run the suite with `npm test`, which prepares MariaDB');
    const config: DatabaseConfig = { kind: 'mariadb', url: url.replace(/^mariadb:/, 'mysql:') };
    // Suites share the run's throw-away database, one after another: each starts from empty.
    const dataSource = await openDataSource(config);
    await dataSource.dropDatabase();
    await dataSource.destroy();
    return config;
  },
};

export function testDatabases(): TestDatabase[] {
  const wanted = (process.env.SCIMD_TEST_DATABASES ?? 'sqlite,mariadb').split(',').map((name) => name.trim());
  return [sqlite, mariadb].filter((database) => wanted.includes(database.name));
}
