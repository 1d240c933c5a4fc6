import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadResult, LoadTarget } from './load';
import type { OpenLoopJob, OpenLoopReport } from './open-loop-worker';

const WORKER_FILE = path.join(__dirname, 'open-loop-worker.ts');

/**
 * One open-loop run: requests arrive at `rate` a second, evenly spaced, for `warmupSeconds` and then
 * the `seconds` measured (open-loop-worker.ts says why the first are not), from a
 * worker thread (so the load generator does not share the servers' event loop, as with autocannon).
 * Unlike autocannon's `overallRate`, which releases each second's budget in a burst at its start,
 * arrivals here are a constant interval apart and never wait for earlier answers, so the p99 is the
 * latency a client sees at that load, not a queue the tool made (docs/benchmarks.md, "Columns").
 */
export async function runOpenLoop(target: LoadTarget, rate: number, seconds: number, warmupSeconds: number): Promise<LoadResult> {
  const job: OpenLoopJob = { target, rate, seconds, warmupSeconds };
  // A worker does not inherit tsx's loader for its entry file: the worker registers it, then loads the TypeScript.
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(WORKER_FILE)});`, { eval: true, workerData: job });
  const message = await new Promise<{ report?: OpenLoopReport; error?: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the open-loop worker exited (${code}) without a result`)));
  });
  await worker.terminate();
  if (!message.report) throw new Error(`open-loop run failed: ${message.error ?? 'no report'}`);
  const { report } = message;
  const answered = Object.values(report.statusCodes).reduce((sum, count) => sum + count, 0);
  const non2xx = Object.entries(report.statusCodes).filter(([code]) => !code.startsWith('2')).reduce((sum, [, count]) => sum + count, 0);
  return {
    rps: report.effectiveRps,
    p50: report.p50,
    p99: report.p99,
    mean: report.meanMs,
    total: answered,
    sent: report.sentInAll,
    non2xx,
    errors: report.connectionErrors,
    statusCodes: report.statusCodes,
  };
}
