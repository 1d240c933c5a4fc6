/** Command-line options of `npm run bench:sync`. */
export interface SyncBenchOptions {
  /** User counts to run, one after another (each with its own DC). */
  readonly users: readonly number[];
  /** Users changed in AD before the timed delta run. */
  readonly changes: number;
  readonly databaseUrl: string;
  /** Where populated DCs are cached; undefined with --no-cache. */
  readonly cache: boolean;
  /** Also time a second full run over the unchanged directory (the nightly case). */
  readonly rerun: boolean;
  /** Write every figure as JSON to this file. */
  readonly json: string | undefined;
  /** Run the sync processes with --cpu-prof, profiles written to this folder. */
  readonly cpuProf: string | undefined;
  /** Profiling: a full GC at each stage change of the sync, recording the live heap (slows the runs a little). */
  readonly liveHeap: boolean;
  /** Extra node flags for the sync processes, e.g. --max-old-space-size=256. */
  readonly nodeFlags: readonly string[];
}

export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/scimd_bench_sync';

export const USAGE = `usage: npm run bench:sync -- [options]
  --users LIST      users in the directory; a comma-separated list runs each in turn (default 20000)
  --changes N       users changed in AD before the timed delta run (default 100)
  --no-cache        neither use nor save the populated-directory cache
  --no-rerun        skip the second (all-unchanged) full run
  --json FILE       also write every figure as JSON
  --cpu-prof DIR    run each sync process with node --cpu-prof, profiles in DIR
  --live-heap       profiling: GC at each stage change of the sync and record the live heap there
  --node-flags F    extra node flags for the sync processes, space-separated (e.g. "--max-old-space-size=256")
environment:
  BENCH_DATABASE_URL    default ${DEFAULT_DATABASE_URL}; DROPPED and recreated: its name must contain "bench"
  BENCH_SYNC_CACHE_DIR  the cache of populated directories (default <tmpdir>/scimd-bench-sync-cache)`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SyncBenchOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (arg === '--no-cache' || arg === '--no-rerun' || arg === '--live-heap') {
      flags.add(arg.slice(2));
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1] || !['users', 'changes', 'json', 'cpu-prof', 'node-flags'].includes(match[1])) throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value\n${USAGE}`);
    values.set(match[1], value);
  }
  const users = (values.get('users') ?? '20000').split(',').map((part) => wholeNumber(part.trim().replace(/_/g, ''), 'users'));
  return {
    users,
    changes: wholeNumber(values.get('changes') ?? '100', 'changes'),
    databaseUrl: (env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL).replace(/^mariadb:/, 'mysql:'),
    cache: !flags.has('no-cache'),
    rerun: !flags.has('no-rerun'),
    json: values.get('json'),
    cpuProf: values.get('cpu-prof'),
    liveHeap: flags.has('live-heap'),
    nodeFlags: (values.get('node-flags') ?? '').split(/\s+/).filter((flag) => flag !== ''),
  };
}

function wholeNumber(raw: string, name: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`--${name} must be a whole number ≥ 1, not "${raw}"`);
  return Number(raw);
}
