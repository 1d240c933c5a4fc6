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

const USAGE = `usage: npm run bench -- [options]
  --users N         users in the seeded set (default 100000; 10000 with --quick)
  --spare N         extra non-member users for the membership PATCHes (default: users / 5, at least 5000)
  --duration S      seconds per measured run (default 10; 3 with --quick)
  --warmup S        warm-up seconds per scenario (default 2; 1 with --quick)
  --concurrency L   comma-separated connection counts (default 10,50)
  --only LIST       comma-separated scenario keys (floors always run)
  --json FILE       also write the results as JSON
  --quick           smoke run: 10000 users, 3 s runs
  --principal-cache-ms N   scimd's PRINCIPAL_CACHE_MS (default: the server's, 1000; 0 = off, to measure without it)
environment: BENCH_DATABASE_URL (default ${DEFAULT_DATABASE_URL}); the database is DROPPED and recreated,
so its name must contain "bench". BENCH_LOG_LEVEL (default silent; warn shows the server's 5xx and their causes).`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const values = new Map<string, string>();
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (arg === '--quick') {
      quick = true;
      continue;
    }
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value\n${USAGE}`);
    values.set(match[1], value);
  }
  const known = new Set(['users', 'spare', 'duration', 'warmup', 'concurrency', 'only', 'json', 'principal-cache-ms']);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`Unknown option --${key}\n${USAGE}`);

  const users = positive(values.get('users'), 'users') ?? (quick ? 10_000 : 100_000);
  const spare = positive(values.get('spare'), 'spare') ?? Math.max(5_000, Math.floor(users / 5));
  const concurrency = (values.get('concurrency') ?? '10,50').split(',').map((c) => positive(c.trim(), 'concurrency') ?? 0);
  return {
    users,
    spare,
    duration: positive(values.get('duration'), 'duration') ?? (quick ? 3 : 10),
    warmup: nonNegative(values.get('warmup'), 'warmup') ?? (quick ? 1 : 2),
    concurrency,
    databaseUrl: env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
    only: values.get('only')?.split(',').map((key) => key.trim()).filter((key) => key !== ''),
    json: values.get('json'),
    quick,
    principalCacheMs: nonNegative(values.get('principal-cache-ms'), 'principal-cache-ms'),
  };
}

function positive(raw: string | undefined, name: string): number | undefined {
  const value = nonNegative(raw, name);
  if (value === 0) throw new Error(`--${name} must be at least 1`);
  return value;
}

function nonNegative(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number, not "${raw}"`);
  return Number(raw);
}
