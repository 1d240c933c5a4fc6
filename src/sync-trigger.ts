import type { DataSource } from 'typeorm';
import { runSync, SyncBusyError } from '../sync/run';
import type { TriggerRun } from './admin/sync-routes';
import type { SyncConfig } from './config';
import { conflictError } from './errors';
import type { Logger } from './logger';

/**
 * Starts a sync run for the admin API and answers as soon as the run is recorded (202 + its id):
 * a run takes minutes, the request should not. The run goes on in the background.
 */
export function backgroundSyncTrigger(dataSource: DataSource, config: SyncConfig, logger: Logger): TriggerRun {
  return (options) => new Promise((resolve, reject) => {
    runSync({ dataSource, config, logger }, {
      trigger: 'api',
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
      ...(options.allowDeletes === true ? { allowDeletes: true } : {}),
      onStart: (runId) => resolve({ runId }),
      ...(options.context ? { requestedBy: options.context } : {}),
    }).then((run) => {
      resolve({ runId: run.id });
      logger.info({ runId: run.id, status: run.status, by: options.context?.actor.name }, 'sync run finished');
    }, (error: unknown) => {
      if (error instanceof SyncBusyError) reject(conflictError(error.message));
      else reject(error);
    });
  });
}
