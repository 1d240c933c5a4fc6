import { readFileSync } from 'node:fs';
import { openDataSource } from '../../src/db/data-source';
import { createLogger } from '../../src/logger';
import { runSync } from '../../sync/run';
import { RESULT_PREFIX, type ChildJob, type ChildResult, type StageTiming } from './protocol';
import { CountingLogger } from './statements';

/**
 * One sync run in a process of its own, so that its peak RSS is the sync's and not the benchmark
 * harness's: `node --import tsx bench/sync/child.ts` with the job in SCIMD_BENCH_SYNC_JOB (JSON).
 * Prints one line `BENCH_SYNC_RESULT {…}` on stdout.
 */
const MIB = 1024 * 1024;

function vmHwmMiB(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const raw = process.env.SCIMD_BENCH_SYNC_JOB;
  if (!raw) throw new Error('SCIMD_BENCH_SYNC_JOB is not set: this file is started by bench/sync.bench.ts');
  delete process.env.SCIMD_BENCH_SYNC_JOB;
  const job = JSON.parse(raw) as ChildJob;
  const dataSource = await openDataSource({ kind: 'mariadb', url: job.databaseUrl });
  const counting = new CountingLogger(dataSource.logger);
  dataSource.logger = counting;
  try {
    const baselineRssMiB = process.memoryUsage.rss() / MIB;
    const stages: { stage: string; start: number; peakRss: number; peakHeap: number; live?: number }[] = [];
    const collect = job.liveHeap && typeof global.gc === 'function' ? global.gc : undefined;
    let peakRss = baselineRssMiB;
    const sample = (): void => {
      const usage = process.memoryUsage();
      const rss = usage.rss / MIB;
      peakRss = Math.max(peakRss, rss);
      const current = stages.at(-1);
      if (current) {
        current.peakRss = Math.max(current.peakRss, rss);
        current.peakHeap = Math.max(current.peakHeap, usage.heapUsed / MIB);
      }
    };
    const sampler = setInterval(sample, 100);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const run = await runSync({ dataSource, config: job.config, logger: createLogger('silent') }, {
      trigger: 'cli', mode: job.mode,
      onProgress: (stage) => {
        sample();
        let live: number | undefined;
        if (collect) {
          collect();
          live = process.memoryUsage().heapUsed / MIB;
        }
        stages.push({ stage, start: performance.now(), peakRss: 0, peakHeap: 0, ...(live === undefined ? {} : { live }) });
        sample();
      },
    });
    const ended = performance.now();
    sample();
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuBefore);
    const timings: StageTiming[] = stages.map((stage, i) => ({
      stage: stage.stage,
      startSeconds: (stage.start - started) / 1000,
      seconds: ((stages[i + 1]?.start ?? ended) - stage.start) / 1000,
      peakRssMiB: stage.peakRss,
      peakHeapMiB: stage.peakHeap,
      ...(stage.live === undefined ? {} : { liveHeapAtStartMiB: stage.live }),
    }));
    const result: ChildResult = {
      status: run.status, mode: run.mode, message: run.message, counters: { ...run.counters },
      seconds: (ended - started) / 1000, stages: timings, baselineRssMiB, sampledPeakRssMiB: peakRss,
      vmHwmMiB: vmHwmMiB(), cpuSeconds: (cpu.user + cpu.system) / 1e6, statements: { ...counting.counts },
    };
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
