import { Command } from 'commander';
import { throwUsageErrors, wholeNumber, wholeNumberList } from '../cli';

/** Command-line options of `npm run bench:sync`. */
export interface SyncBenchOptions {
  /** User counts to run, one after another (each with its own DC). */
  readonly users: readonly number[];
  /** Users changed in AD before each timed delta run. */
  readonly changes: number;
  /** Delta runs, each after its own changes; the figure is their median (one run moves by a tenth of a second). */
  readonly deltaRuns: number;
  /**
   * First full runs, each into a fresh database between raw reads; the figure is the run of median
   * ratio to the raw read beside it (the machine's speed drifts within a run, and moves that ratio).
   */
  readonly fullRuns: number;
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

/** After commander's list of options in the help. */
const ENVIRONMENT = `
environment:
  BENCH_DATABASE_URL    default ${DEFAULT_DATABASE_URL}; DROPPED and recreated: its name must contain "bench"
  BENCH_SYNC_CACHE_DIR  the cache of populated directories (default <tmpdir>/scimd-bench-sync-cache)`;

/** The options as commander parses them (`--no-cache` sets cache to false; it is true otherwise). */
interface ParsedOptions {
  readonly users?: number[];
  readonly changes?: number;
  readonly deltaRuns?: number;
  readonly fullRuns?: number;
  readonly cache: boolean;
  readonly rerun: boolean;
  readonly json?: string;
  readonly cpuProf?: string;
  readonly liveHeap?: boolean;
  readonly nodeFlags?: string;
}

/** `--users`: the list's numbers may have _ between digits (20_000). */
const userCounts = wholeNumberList('users');

/** `argv` without node and the script; throws a usage error (bench/cli.ts); --help prints the usage and exits. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SyncBenchOptions {
  const program = throwUsageErrors(new Command('npm run bench:sync'))
    .usage('-- [options]')
    .option('--users <LIST>', 'users in the directory; a comma-separated list runs each in turn (default 20000)',
      (text: string) => userCounts(text.replace(/_/g, '')))
    .option('--changes <N>', 'users changed in AD before each timed delta run (default 100)', wholeNumber('changes'))
    .option('--delta-runs <N>', 'delta runs, each after its own changes; the figure is their median (default 5)', wholeNumber('delta-runs'))
    .option('--full-runs <N>', 'first full runs, each into a fresh database and beside a raw read of its own; the figure is the run '
      + 'of median ratio (default 1)', wholeNumber('full-runs'))
    .option('--no-cache', 'neither use nor save the populated-directory cache')
    .option('--no-rerun', 'skip the second (all-unchanged) full run')
    .option('--json <FILE>', 'also write every figure as JSON')
    .option('--cpu-prof <DIR>', 'run each sync process with node --cpu-prof, profiles in DIR')
    .option('--live-heap', 'profiling: GC at each stage change of the sync and record the live heap there')
    .option('--node-flags <F>', 'extra node flags for the sync processes, space-separated (e.g. "--max-old-space-size=256")')
    .addHelpText('after', ENVIRONMENT)
    .allowExcessArguments(false);
  const parsed = program.parse(argv, { from: 'user' }).opts<ParsedOptions>();
  return {
    users: parsed.users ?? [20_000],
    changes: parsed.changes ?? 100,
    deltaRuns: parsed.deltaRuns ?? 5,
    fullRuns: parsed.fullRuns ?? 1,
    databaseUrl: (env.BENCH_DATABASE_URL || DEFAULT_DATABASE_URL).replace(/^mariadb:/, 'mysql:'),
    cache: parsed.cache,
    rerun: parsed.rerun,
    json: parsed.json,
    cpuProf: parsed.cpuProf,
    liveHeap: parsed.liveHeap === true,
    nodeFlags: (parsed.nodeFlags ?? '').split(/\s+/).filter((flag) => flag !== ''),
  };
}
