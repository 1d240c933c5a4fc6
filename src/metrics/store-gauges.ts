import { Gauge, type Registry } from 'prom-client';
import { MoreThan, type DataSource } from 'typeorm';
import { ChangeRequestEntity, MailOutboxEntity, SyncRunEntity } from '../db/entities';

/** What the gauges read from the database at scrape time. */
export interface StoreFigures {
  readonly pendingChangeRequests: number;
  readonly pendingMail: number;
  /** When the latest successful (not dry) sync run ended; undefined when none has. */
  readonly lastSyncSuccessAt: Date | undefined;
}

/** A scrape waits at most this long for the database: Prometheus' own timeout is 10 s by default. */
export const STORE_READ_DEADLINE_MS = 2000;

/**
 * Three small reads, each on an index: pending change requests not yet expired (status, then
 * requested_at), the mail outbox backlog (status, next attempt), and the newest successful run
 * (started_at, read from the newest end until a successful one).
 */
export async function readStoreFigures(dataSource: DataSource, now: Date): Promise<StoreFigures> {
  const [pendingChangeRequests, pendingMail, lastSuccess] = await Promise.all([
    dataSource.getRepository(ChangeRequestEntity).countBy({ status: 'pending', expiresAt: MoreThan(now.toISOString()) }),
    dataSource.getRepository(MailOutboxEntity).countBy({ status: 'pending' }),
    dataSource.getRepository(SyncRunEntity).findOne({
      select: { finishedAt: true }, where: { status: 'succeeded', dryRun: false }, order: { startedAt: 'DESC' },
    }),
  ]);
  return {
    pendingChangeRequests, pendingMail,
    lastSyncSuccessAt: lastSuccess?.finishedAt ? new Date(lastSuccess.finishedAt) : undefined,
  };
}

export interface StoreGaugeOptions {
  readonly read: () => Promise<StoreFigures>;
  readonly now: () => Date;
  readonly deadlineMs: number;
}

/**
 * The gauges collected from the database when Prometheus scrapes: one read for all of them, shared
 * by concurrent scrapes, and given up after a deadline so that a slow or unreachable database
 * never hangs a scrape. Then the gauges read NaN (no comparison holds, so no alert fires on a
 * made-up 0) and scimd_metrics_database_up reads 0.
 */
export function registerStoreGauges(registry: Registry, options: StoreGaugeOptions): void {
  let inFlight: Promise<StoreFigures | undefined> | undefined;
  const figures = (): Promise<StoreFigures | undefined> => {
    inFlight ??= withDeadline(options.read(), options.deadlineMs).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const gauge = (name: string, help: string, valueOf: (read: StoreFigures | undefined) => number) => new Gauge({
    name, help, registers: [registry],
    async collect() {
      this.set(valueOf(await figures()));
    },
  });
  gauge('scimd_metrics_database_up', 'Whether the database answered the reads of this scrape within the deadline (1) or not (0)',
    (read) => (read ? 1 : 0));
  gauge('scimd_change_requests_pending', 'Change requests waiting for a second person\'s decision (not yet expired)',
    (read) => read?.pendingChangeRequests ?? Number.NaN);
  gauge('scimd_mail_outbox_pending', 'E-mail notices waiting in the outbox to be delivered',
    (read) => read?.pendingMail ?? Number.NaN);
  gauge('scimd_sync_seconds_since_last_success', 'Seconds since the latest successful Active Directory sync run (not a dry run) ended; +Inf before the first',
    (read) => {
      if (!read) return Number.NaN;
      if (!read.lastSyncSuccessAt) return Number.POSITIVE_INFINITY;
      return Math.max(0, (options.now().getTime() - read.lastSyncSuccessAt.getTime()) / 1000);
    });
}

/** The promise's value, or undefined when it rejects or has not settled within `ms`. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
