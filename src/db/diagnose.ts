import { existsSync } from 'node:fs';
import path from 'node:path';
import { MigrationExecutor, type DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { fail, ok, reasonOf, skipAfter, warn, withDeadline, type CheckResult } from '../diagnosis';
import { describeDatabase, openDataSource } from './data-source';

const CONNECT = 'database.connect';
const MIGRATIONS = 'database.migrations';

/**
 * The database doctor checks: it opens (without creating a file or a folder, and without
 * migrating: the doctor changes nothing), and every migration this scimd knows is applied.
 */
export async function diagnoseDatabase(database: DatabaseConfig, deadlineMs: number): Promise<CheckResult[]> {
  const where = describeDatabase(database);
  if (database.kind === 'sqlite' && database.path !== ':memory:' && !existsSync(database.path)) {
    // Opening it would create an empty file: the doctor reports instead.
    return [
      fail(CONNECT, `${where}: the file ${path.resolve(database.path)} does not exist`,
        'set DATABASE_URL as the server has it (run the doctor where the server\'s .env is), or create the database '
        + 'with `npx scimd migrate`'),
      ...skipAfter(CONNECT, [MIGRATIONS]),
    ];
  }
  let dataSource: DataSource;
  try {
    dataSource = await withDeadline(`opening ${where}`, deadlineMs, () => openDataSource(database));
  } catch (error) {
    return [fail(CONNECT, reasonOf(error), connectFix(database)), ...skipAfter(CONNECT, [MIGRATIONS])];
  }
  try {
    const version = await withDeadline('reading the server version', deadlineMs, () => serverVersion(dataSource));
    const results = [ok(CONNECT, `${where} answers${version ? ` (${version})` : ''}`)];
    results.push(await withDeadline('reading the applied migrations', deadlineMs, () => migrationState(dataSource))
      .catch((error: unknown) => fail(MIGRATIONS, `cannot read the applied migrations: ${reasonOf(error)}`,
        'check that the database user may read the scimd_migrations table')));
    return results;
  } catch (error) {
    return [fail(CONNECT, `${where} opened but does not answer: ${reasonOf(error)}`, connectFix(database)), ...skipAfter(CONNECT, [MIGRATIONS])];
  } finally {
    await dataSource.destroy().catch(() => undefined);
  }
}

async function serverVersion(dataSource: DataSource): Promise<string | undefined> {
  if (dataSource.options.type === 'better-sqlite3') {
    const [row] = await dataSource.query('SELECT sqlite_version() AS version') as { version: string }[];
    return row ? `SQLite ${row.version}` : undefined;
  }
  const [row] = await dataSource.query('SELECT VERSION() AS version') as { version: string }[];
  return row?.version;
}

/** Pending migrations by name; applied ones this scimd does not know mean the database is newer than the code. */
async function migrationState(dataSource: DataSource): Promise<CheckResult> {
  const executor = new MigrationExecutor(dataSource);
  const pending = await executor.getPendingMigrations();
  const known = new Set(dataSource.migrations.map((migration) => migration.name));
  const unknown = (await executor.getExecutedMigrations()).filter((migration) => !known.has(migration.name));
  if (pending.length > 0) {
    return fail(MIGRATIONS, `${pending.length} of ${known.size} migrations pending: ${pending.map((m) => m.name).join(', ')}`,
      'run `npx scimd migrate` (or start the server with MIGRATE_ON_START=true, the default)');
  }
  if (unknown.length > 0) {
    return warn(MIGRATIONS, `all ${known.size} migrations applied, and ${unknown.length} this scimd does not know: `
      + `${unknown.map((m) => m.name).join(', ')}`, 'a newer scimd has migrated this database: run that version');
  }
  return ok(MIGRATIONS, `all ${known.size} migrations applied`);
}

function connectFix(database: DatabaseConfig): string {
  if (database.kind === 'sqlite') {
    return 'check that DATABASE_URL names the server\'s SQLite file and that this user may read and write it and its folder';
  }
  return 'check that the database server runs and is reachable from here (host and port in DATABASE_URL), that the user name '
    + 'and password are right and percent-encoded, and that the database exists (CREATE DATABASE … CHARACTER SET utf8mb4)';
}
