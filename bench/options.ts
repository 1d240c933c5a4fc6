import { Command } from 'commander';
import { keyList, throwUsageErrors, wholeNumber, wholeNumberList } from './cli';

/** Command-line options of `npm run bench`. */
export interface BenchOptions {
  /** Users in the seeded set (the big group holds all of them). */
  readonly users: number;
  /** Extra users that belong to no group: the "not yet a member" pool for the membership PATCHes. */
  readonly spare: number;
  /** Seconds per measured run. */
  readonly duration: number;
  /** Seconds of warm-up before each scenario's runs (not recorded). */
  readonly warmup: number;
  readonly concurrency: readonly number[];
  readonly databaseUrl: string;
  /** Scenario keys to run (all when undefined); the floors always run. */
  readonly only: readonly string[] | undefined;
  /** Also write the results as JSON to this file. */
  readonly json: string | undefined;
  readonly quick: boolean;
  /** scimd's PRINCIPAL_CACHE_MS for the run (undefined: the server's default); 0 measures without the cache. */
  readonly principalCacheMs: number | undefined;
}

export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/scimd_bench';

/** After commander's list of options in the help. */
const ENVIRONMENT = `
environment: BENCH_DATABASE_URL (default ${DEFAULT_DATABASE_URL}); the database is DROPPED and recreated,
so its name must contain "bench". BENCH_LOG_LEVEL (default silent; warn shows the server's 5xx and their causes).`;

/** The options as commander parses them; the defaults that depend on others are applied after. */
interface ParsedOptions {
  readonly users?: number;
  readonly spare?: number;
  readonly duration?: number;
  readonly warmup?: number;
  readonly concurrency?: number[];
  readonly only?: string[];
  readonly json?: string;
  readonly quick?: boolean;
  readonly principalCacheMs?: number;
}

/** `argv` without node and the script; throws a usage error (bench/cli.ts); --help prints the usage and exits. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const program = throwUsageErrors(new Command('npm run bench'))
    .usage('-- [options]')
    .option('--users <N>', 'users in the seeded set (default 100000; 10000 with --quick)', wholeNumber('users'))
    .option('--spare <N>', 'extra non-member users for the membership PATCHes (default: users / 5, at least 5000)',
      wholeNumber('spare'))
    .option('--duration <S>', 'seconds per measured run (default 10; 3 with --quick)', wholeNumber('duration'))
    .option('--warmup <S>', 'warm-up seconds per scenario (default 2; 1 with --quick)', wholeNumber('warmup', 0))
    .option('--concurrency <LIST>', 'comma-separated connection counts (default 10,50)', wholeNumberList('concurrency'))
    .option('--only <LIST>', 'comma-separated scenario keys (floors always run)', keyList)
    .option('--json <FILE>', 'also write the results as JSON')
    .option('--quick', 'smoke run: 10000 users, 3 s runs')
    .option('--principal-cache-ms <N>', "scimd's PRINCIPAL_CACHE_MS (default: the server's, 1000; 0 = off, to measure "
      + 'without it)', wholeNumber('principal-cache-ms', 0))
    .addHelpText('after', ENVIRONMENT)
    .allowExcessArguments(false);
  const parsed = program.parse(argv, { from: 'user' }).opts<ParsedOptions>();
  const quick = parsed.quick === true;
  const users = parsed.users ?? (quick ? 10_000 : 100_000);
  return {
    users,
    spare: parsed.spare ?? Math.max(5_000, Math.floor(users / 5)),
    duration: parsed.duration ?? (quick ? 3 : 10),
    warmup: parsed.warmup ?? (quick ? 1 : 2),
    concurrency: parsed.concurrency ?? [10, 50],
    databaseUrl: env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
    only: parsed.only,
    json: parsed.json,
    quick,
    principalCacheMs: parsed.principalCacheMs,
  };
}
