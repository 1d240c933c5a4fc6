import { Command } from 'commander';
import { sliceOptions, throwUsageErrors } from './cli';
import { DEFAULT_DATABASE_URL } from './options';

/** Command-line options of bench/write-sql.bench.ts. */
export interface WriteSqlOptions {
  /** Users seeded before the replay, so that the indexes the POST writes are not empty. */
  readonly users: number;
  /** Alternating slices of each side (floor INSERT, the POST's statements). */
  readonly slices: number;
  /** Seconds per slice. */
  readonly slice: number;
  /** mysql2 connections sending at once (the bench's 10 by default). */
  readonly connections: number;
  /** The database, dropped and recreated with `_writesql` appended to its name. */
  readonly databaseUrl: string;
}

/** `argv` without node and the script; throws a usage error (bench/cli.ts); --help prints the usage and exits. */
export function parseWriteSqlOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): WriteSqlOptions {
  const command = throwUsageErrors(new Command('node_modules/.bin/tsx bench/write-sql.bench.ts'))
    .description('what MariaDB alone makes of the statements of a POST /Users, a PATCH /Users/{id} and a member add, '
      + 'replayed from a bare mysql2 pool beside the write floor\'s INSERT; the database of BENCH_DATABASE_URL + "_writesql" '
      + 'is dropped and recreated');
  const parsed = sliceOptions(command, { slices: 6, slice: 2 })
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' })
    .opts<Omit<WriteSqlOptions, 'databaseUrl'>>();
  return { ...parsed, databaseUrl: `${env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL}_writesql` };
}
