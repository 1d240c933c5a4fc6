import cron, { type ScheduledTask } from 'node-cron';
import type { DataSource } from 'typeorm';
import type { SyncConfig } from '../src/config';
import { OutageLog } from '../src/db/outage-log';
import { describeError } from '../src/log-error';
import type { Logger } from '../src/logger';
import { runSync, SyncBusyError } from './run';

/**
 * Runs the sync on its cron schedules (delta often, full nightly by default). Every replica may
 * run the scheduler: the run takes a lease in the database, so one runs and the others log a skip.
 * The cron expressions were validated with the rest of the configuration.
 */
export interface SyncScheduler {
  stop(): Promise<void>;
}

export function startSyncScheduler(dataSource: DataSource, config: SyncConfig, logger: Logger): SyncScheduler {
  const tasks: ScheduledTask[] = [];
  let running: Promise<unknown> | undefined;
  // A run that cannot reach the database fails at its lease; say so when the outage begins and ends, not every tick.
  const outages = new OutageLog(logger, 'sync scheduler');
  const trigger = (mode: 'full' | 'delta') => async () => {
    if (running) {
      logger.info({ mode }, 'sync skipped: the previous run in this process is still going');
      return;
    }
    running = runSync({ dataSource, config, logger }, { trigger: 'schedule', mode })
      .then((run) => {
        outages.succeeded();
        logger.info({ runId: run.id, status: run.status, counters: run.counters }, 'scheduled sync finished');
      })
      .catch((error: unknown) => {
        if (error instanceof SyncBusyError) {
          outages.succeeded(); // the lease was read: the database answers
          logger.info({ mode }, 'sync skipped: another replica holds the sync lease');
        } else if (!outages.failed(error)) logger.error({ err: describeError(error), mode }, 'scheduled sync failed');
      })
      .finally(() => {
        running = undefined;
      });
    await running;
  };
  if (config.scheduleDelta) tasks.push(cron.schedule(config.scheduleDelta, trigger('delta'), { name: 'sync-delta', noOverlap: true }));
  if (config.scheduleFull) tasks.push(cron.schedule(config.scheduleFull, trigger('full'), { name: 'sync-full', noOverlap: true }));
  logger.info({ delta: config.scheduleDelta ?? 'off', full: config.scheduleFull ?? 'off' }, 'sync scheduler started');
  return {
    async stop() {
      for (const task of tasks) await task.destroy();
      await running;
    },
  };
}
