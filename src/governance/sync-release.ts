import type { DataSource } from 'typeorm';
import { SyncRunEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, notFoundError } from '../errors';
import { assertPermitted, type ChangeContext } from '../identity/change-context';
import { findPendingRequest, raiseChangeRequest, type ChangeRequestView } from './change-request-store';
import type { Applier } from './change-requests';

/**
 * Releasing a sync run the accidental-delete threshold blocked: a new run of the same mode that
 * may apply the deletes. It is a governed change; the request waits for a second person, whose
 * approval starts the run (src/admin/router.ts wires the start). With APPROVAL_MODE=none it starts at once.
 */
export async function requestSyncRelease(
  dataSource: DataSource, context: ChangeContext, runId: string, options: { expiryDays: number },
): Promise<ChangeRequestView> {
  assertPermitted(context, 'sync:run');
  return transaction(dataSource, async (manager) => {
    const run = await blockedRun(manager.getRepository(SyncRunEntity), runId);
    const payload = { runId: run.id, mode: run.mode };
    const target = { type: 'SyncRun', id: run.id, name: null };
    return await findPendingRequest(manager, 'sync-release', target, payload)
      ?? await raiseChangeRequest(manager, context, {
        kind: 'sync-release', target, payload, expiryDays: options.expiryDays,
        summary: `Let a ${run.mode} sync run apply the deletes that blocked run ${run.id} (${run.message ?? 'delete threshold exceeded'})`,
      });
  });
}

/** The approval's part inside its transaction: the run must still be the blocked one; the start follows the commit. */
export const applySyncRelease: Applier = async (manager, context, payload) => {
  assertPermitted(context, 'sync:run');
  const run = await blockedRun(manager.getRepository(SyncRunEntity), typeof payload.runId === 'string' ? payload.runId : '');
  return { releasedRun: run.id };
};

export async function blockedRun(
  repository: { findOneBy(where: { id: string }): Promise<SyncRunEntity | null> }, runId: string,
): Promise<SyncRunEntity> {
  const run = await repository.findOneBy({ id: runId });
  if (!run) throw notFoundError(`No sync run ${runId}`);
  if (run.status !== 'blocked') throw conflictError(`Sync run ${runId} is ${run.status}, not blocked: there is nothing to release`);
  return run;
}
