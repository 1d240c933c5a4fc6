import { Counter, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { attachQueryTimer } from '../db/query-timer';
import { onSyncRunFinished } from '../governance/sync-run-events';
import type { SyncCounters, SyncRunView } from '../governance/sync-runs';
import { processRegistry } from './process-metrics';
import { readStoreFigures, registerStoreGauges, STORE_READ_DEADLINE_MS } from './store-gauges';

/** A request as the HTTP histogram labels it: never a raw path, an id or a query. */
export interface ObservedRequest {
  readonly method: string;
  /** The route template (`/scim/v2/Users/:id`), or UNMATCHED_ROUTE. */
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/** The object actions a run's counters hold, as the sync objects counter labels them. */
const OBJECT_ACTIONS: readonly (readonly [keyof SyncCounters, string])[] = [
  ['created', 'created'], ['updated', 'updated'], ['deactivated', 'deactivated'], ['deleted', 'deleted'],
  ['reactivated', 'reactivated'], ['unchanged', 'unchanged'], ['skipped', 'skipped'], ['errors', 'error'],
  ['memberAdds', 'member_added'], ['memberRemoves', 'member_removed'],
];

/**
 * The metrics of one app (one database): a registry of its own, so that several apps in a process
 * (as in the tests) never collide, plus the process-wide registry (process-metrics.ts) when
 * rendered. Measures HTTP requests (fed by http-metrics.ts), every statement of its DataSource,
 * the sync runs ended through it, and reads its gauges from the database at scrape time.
 */
export class AppMetrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'method' | 'route' | 'status'>;
  private readonly detach: (() => void)[] = [];

  constructor(dataSource: DataSource) {
    // The process's collectors start now, not at the first scrape: LDAP operations of a sync run
    // that ends before Prometheus first scrapes are counted too.
    processRegistry();
    const registers = [this.registry];
    this.requests = new Histogram({
      name: 'scimd_http_request_duration_seconds',
      help: 'HTTP requests on the main port, by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const queries = new Histogram({
      name: 'scimd_db_query_duration_seconds',
      help: 'Database statements, by operation (select, insert, update, delete, transaction, other) and outcome',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    const runs = new Counter({
      name: 'scimd_sync_runs_total',
      help: 'Active Directory sync runs this process ended, by mode (full, delta) and status (succeeded, failed, blocked)',
      labelNames: ['mode', 'status'] as const,
      registers,
    });
    const objects = new Counter({
      name: 'scimd_sync_objects_total',
      help: 'Objects the sync runs this process ended acted on (dry runs excluded), by action',
      labelNames: ['action'] as const,
      registers,
    });
    registerStoreGauges(this.registry, {
      read: () => readStoreFigures(dataSource, new Date()), now: () => new Date(), deadlineMs: STORE_READ_DEADLINE_MS,
    });
    this.detach.push(attachQueryTimer(dataSource, ({ operation, outcome, seconds }) => {
      queries.observe({ operation, outcome }, seconds);
    }));
    this.detach.push(onSyncRunFinished(dataSource, (run: SyncRunView) => {
      runs.inc({ mode: run.mode, status: run.status });
      if (run.dryRun) return;
      for (const [counter, action] of OBJECT_ACTIONS) {
        if (run.counters[counter] > 0) objects.inc({ action }, run.counters[counter]);
      }
    }));
  }

  observeRequest({ method, route, status, seconds }: ObservedRequest): void {
    this.requests.observe({ method, route, status: String(status) }, seconds);
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric: the process's, then this app's. */
  async render(): Promise<string> {
    const [processText, appText] = await Promise.all([processRegistry().metrics(), this.registry.metrics()]);
    return `${processText}${processText.endsWith('\n') ? '' : '\n'}${appText}`;
  }

  /** Stops measuring (the server calls it when it stops). */
  close(): void {
    for (const stop of this.detach.splice(0)) stop();
  }
}
