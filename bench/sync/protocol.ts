import type { SyncConfig } from '../../src/config';
import type { StatementCounts } from './statements';

/** What bench/sync.bench.ts and the sync process (bench/sync/child.ts) exchange. */
export interface ChildJob {
  readonly databaseUrl: string;
  readonly config: SyncConfig;
  readonly mode: 'full' | 'delta';
  /** Collect garbage at each stage change (node --expose-gc) and record the live heap there. */
  readonly liveHeap: boolean;
}

export interface StageTiming {
  readonly stage: string;
  /** Seconds from the start of runSync. */
  readonly startSeconds: number;
  readonly seconds: number;
  /** Highest RSS sampled during the stage (MiB). */
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
  /** With liveHeap: heap in use after a full GC at the start of the stage (what earlier stages keep). */
  readonly liveHeapAtStartMiB?: number;
}

export interface ChildResult {
  readonly status: string;
  readonly mode: string;
  readonly message: string | null;
  readonly counters: Readonly<Record<string, number>>;
  /** Wall time of runSync. */
  readonly seconds: number;
  readonly stages: readonly StageTiming[];
  /** RSS once the modules are loaded and the database is open, before runSync (MiB). */
  readonly baselineRssMiB: number;
  /** Highest RSS sampled every 100 ms during runSync (MiB). */
  readonly sampledPeakRssMiB: number;
  /** VmHWM from /proc/self/status at the end: the process's true peak RSS (MiB). */
  readonly vmHwmMiB: number | undefined;
  /** CPU seconds (user + system) of this process during runSync. */
  readonly cpuSeconds: number;
  /** SQL statements this process sent during runSync. */
  readonly statements: StatementCounts;
}

export const RESULT_PREFIX = 'BENCH_SYNC_RESULT ';
