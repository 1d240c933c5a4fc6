import path from 'node:path';
import autocannon from 'autocannon';

/** What the seeder hands the load workers (through a JSON file: see requests.ts). */
export interface BenchData {
  readonly ids: string[];
  readonly spareIds: string[];
}

/** The fields a bench request carries besides autocannon's own; requests.ts builds the dynamic ones. */
export interface BenchRequest {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Which request requests.ts builds; undefined for a fixed request. */
  scenario?: string;
  /** Unique per measured run: keeps POSTed userNames unique across runs. */
  runTag?: string;
  /** The group PATCHed by `add-member`. */
  groupId?: string;
  /** Where in the spare pool `add-member` starts: runs never reuse each other's spares. */
  spareOffset?: number;
}

export interface LoadTarget extends BenchRequest {
  /** Origin of the server, e.g. http://127.0.0.1:41234 */
  readonly url: string;
}

export interface LoadResult {
  /** Mean of the per-second request counts (autocannon's requests.average). */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly total: number;
  /** Requests sent, including those still unanswered when the run stopped (the server finishes them). */
  readonly sent: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
}

const REQUESTS_FILE = path.join(__dirname, 'requests.ts');

/**
 * One autocannon run against a target. autocannon fires from one worker thread, so the load
 * generator and the server under test are two threads sharing the machine's cores, not one event loop.
 * With `overallRate` the run is rate-limited: each connection may send its share of the rate per
 * second (autocannon resets the budgets on a one-second timer), so the requests of a second leave in
 * a burst at its start rather than evenly spaced: its p99 is latency at that load including the
 * burst's queue, an upper bound on what evenly spaced arrivals would see.
 */
export async function runLoad(
  target: LoadTarget, connections: number, seconds: number, options: { overallRate?: number } = {},
): Promise<LoadResult> {
  const { url, scenario, headers, ...fixed } = target;
  const request = {
    ...fixed,
    ...(scenario ? { scenario, setupRequest: REQUESTS_FILE } : {}),
    headers: { ...(fixed.method && fixed.method !== 'GET' ? { 'Content-Type': 'application/scim+json' } : {}), ...headers },
  };
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    workers: 1,
    timeout: 30,
    requests: [request as autocannon.Request],
    // An arrival rate (requests per second over all connections) instead of a closed loop. autocannon
    // 9 "corrects" rate-limited latencies for coordinated omission with an expected interval of
    // ceil(1 / rate) where rate is per second: 1 ms, whatever the rate, which adds a synthetic sample
    // for every millisecond of every answer. The raw latencies are the honest figure here.
    ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate, ignoreCoordinatedOmission: true }),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.average,
    total: result.requests.total,
    sent: result.requests.sent,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
  };
}
