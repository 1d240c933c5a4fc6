import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { BenchRequest, LoadTarget } from './load';
import setupRequest from './requests';

/**
 * The worker thread of an open-loop run (open-loop.ts): loadtest sends requests at a constant
 * arrival rate, evenly spaced (one timer tick every 1000 / rate ms, each tick one request, whether or
 * not earlier ones have been answered: a new connection is opened when every open one is busy), and
 * times each from when it is sent. requests.ts builds each request, as for autocannon.
 *
 * Only the requests sent after `warmupSeconds` are counted. A run starts with no connection open:
 * its first fraction of a second opens one per request until there are enough, and the tool's own
 * thread, just started, falls behind and catches up in a burst. Measured on a warm server at 1,600
 * GET/s: with that start counted, p99 64-247 ms; without its first 1.5 s, 9-15 ms
 * (docs/benchmarks.md, "Ninth run").
 */
export interface OpenLoopJob {
  readonly target: LoadTarget;
  readonly rate: number;
  readonly seconds: number;
  /** Seconds of arrivals at the same rate before the measured ones. */
  readonly warmupSeconds: number;
}

export interface OpenLoopReport {
  /** Requests sent in the measured seconds. */
  readonly total: number;
  /** Requests sent in all, the warm-up's included (the CPU is sampled over both). */
  readonly sentInAll: number;
  readonly effectiveRps: number;
  readonly meanMs: number;
  readonly p50: number;
  readonly p99: number;
  readonly statusCodes: Record<string, number>;
  readonly connectionErrors: number;
}

/** The part of loadtest's API used here (its requestGenerator is called as (options, params, request, connect)). */
interface LoadtestModule {
  loadTest(options: {
    url: string;
    requestsPerSecond: number;
    maxSeconds: number;
    agentKeepAlive: boolean;
    quiet: boolean;
    timeout: number;
    requestGenerator: (
      options: unknown, params: RequestOptions, request: (params: RequestOptions, callback: (response: IncomingMessage) => void) => ClientRequest,
      connect: (response: IncomingMessage) => void,
    ) => ClientRequest;
    statusCallback: (error: unknown, result: { statusCode?: number; requestElapsed?: number } | undefined) => void;
  }): Promise<unknown>;
}

function loadtest(): LoadtestModule {
  try {
    return createRequire(__filename)('loadtest') as LoadtestModule;
  } catch (error) {
    throw new Error('The open-loop runs need the loadtest package (a devDependency of scimd): run npm install', { cause: error });
  }
}

async function run(job: OpenLoopJob): Promise<OpenLoopReport> {
  const { url, headers, ...request } = job.target;
  const statusCodes: Record<string, number> = {};
  const latencies: number[] = [];
  let connectionErrors = 0;
  let sent = 0;
  let sentInAll = 0;
  // From loadtest's first request, which starts its timer (loading it takes a while after this line).
  let measuredFrom: number | undefined;
  await loadtest().loadTest({
    url,
    requestsPerSecond: job.rate,
    maxSeconds: job.warmupSeconds + job.seconds,
    agentKeepAlive: true,
    quiet: true,
    timeout: 30_000,
    requestGenerator: (_options, params, send, connect) => {
      measuredFrom ??= performance.now() + job.warmupSeconds * 1000;
      const built: BenchRequest = request.scenario ? setupRequest({ ...request }) : request;
      const body = built.body;
      const outgoing = send({
        ...params,
        method: built.method ?? 'GET',
        path: built.path ?? '/',
        headers: {
          ...params.headers, ...headers, ...built.headers,
          ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json', 'Content-Length': Buffer.byteLength(body) }),
        },
      }, connect);
      if (body !== undefined) outgoing.write(body);
      return outgoing;
    },
    statusCallback: (_error, result) => {
      sentInAll += 1;
      const elapsed = result?.requestElapsed ?? 0;
      // Counted by when it was sent: a request of the warm-up answered after it ends is not measured.
      if (measuredFrom === undefined || performance.now() - elapsed < measuredFrom) return;
      sent += 1;
      if (result?.statusCode === undefined) {
        connectionErrors += 1;
        return;
      }
      statusCodes[String(result.statusCode)] = (statusCodes[String(result.statusCode)] ?? 0) + 1;
      latencies.push(elapsed);
    },
  });
  latencies.sort((a, b) => a - b);
  // Whole milliseconds, as autocannon reports its closed-loop latencies.
  const percentile = (share: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))] ?? 0);
  return {
    total: sent,
    sentInAll,
    effectiveRps: sent / job.seconds,
    meanMs: latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, latencies.length),
    p50: percentile(0.5),
    p99: percentile(0.99),
    statusCodes,
    connectionErrors,
  };
}

run(workerData as OpenLoopJob).then(
  (report) => parentPort?.postMessage({ report }),
  (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
