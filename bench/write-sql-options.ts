import { Command } from 'commander';
import { throwUsageErrors, wholeNumber } from './cli';
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
  const parsed = throwUsageErrors(new Command('node_modules/.bin/tsx bench/write-sql.bench.ts'))
    .description('what MariaDB alone makes of the statements of a POST /Users, replayed from a bare mysql2 pool '
      + 'beside the write floor\'s INSERT; the database of BENCH_DATABASE_URL + "_writesql" is dropped and recreated')
    .option('--users <N>', 'users seeded first', wholeNumber('users'), 10_000)
    .option('--slices <N>', 'alternating slices of each side', wholeNumber('slices'), 6)
    .option('--slice <S>', 'seconds per slice', wholeNumber('slice'), 2)
    .option('--connections <N>', 'connections sending at once', wholeNumber('connections'), 10)
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' })
    .opts<Omit<WriteSqlOptions, 'databaseUrl'>>();
  return { ...parsed, databaseUrl: `${env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL}_writesql` };
}
