import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { BenchRequest, LoadTarget } from './load';
import setupRequest from './requests';

/**
 * The worker thread of an open-loop run (open-loop.ts): loadtest sends requests at a constant
 * arrival rate, evenly spaced (one timer tick every 1000 / rate ms, each tick one request, whether or
 * not earlier ones have been answered: a new connection is opened when every open one is busy), and
 * times each from the moment it was due. requests.ts builds each request, as for autocannon.
 */
export interface OpenLoopJob {
  readonly target: LoadTarget;
  readonly rate: number;
  readonly seconds: number;
}

export interface OpenLoopReport {
  readonly total: number;
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
    statusCallback: (error: unknown, result: { statusCode?: number } | undefined) => void;
  }): Promise<{ totalRequests: number; effectiveRps: number; meanLatencyMs: number; percentiles: Record<string, number> }>;
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
  let connectionErrors = 0;
  const result = await loadtest().loadTest({
    url,
    requestsPerSecond: job.rate,
    maxSeconds: job.seconds,
    agentKeepAlive: true,
    quiet: true,
    timeout: 30_000,
    requestGenerator: (_options, params, send, connect) => {
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
      if (result?.statusCode === undefined) connectionErrors += 1;
      else statusCodes[String(result.statusCode)] = (statusCodes[String(result.statusCode)] ?? 0) + 1;
    },
  });
  return {
    total: result.totalRequests,
    effectiveRps: result.effectiveRps,
    meanMs: result.meanLatencyMs,
    p50: result.percentiles['50'] ?? 0,
    p99: result.percentiles['99'] ?? 0,
    statusCodes,
    connectionErrors,
  };
}

run(workerData as OpenLoopJob).then(
  (report) => parentPort?.postMessage({ report }),
  (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
