/**
 * The accidental-delete guard: a run that would deactivate or delete more users than the limit is
 * refused whole, before anything is written, unless the operator allowed it for this run.
 */
import type { SyncPlan } from './types';

export interface DeleteThreshold {
  /** Most deactivations + deletions one run may make (absolute). */
  readonly threshold: number;
  /** Most deactivations + deletions one run may make, as a percentage of the store's AD-sourced users. */
  readonly thresholdPercent: number;
  /** AD-sourced users in the store before the run. */
  readonly storeSize: number;
  /** The operator allowed this run to exceed the limit (e.g. `scimd sync --allow-deletes`). */
  readonly allowDeletes: boolean;
}

export interface GuardResult {
  readonly blocked: boolean;
  /** Set whenever the plan is over the limit: why it is blocked, or that it was allowed anyway. */
  readonly reason?: string;
  /** Deactivations + deletions the plan holds (for whatever reason: left scope, deleted, disabled, expired). */
  readonly planned: number;
  /** min(threshold, ceil(storeSize × thresholdPercent / 100)); the percentage does not apply to an empty store. */
  readonly limit: number;
}

export function checkDeleteThreshold(plan: SyncPlan, options: DeleteThreshold): GuardResult {
  return checkDeleteCount(plan.users.filter((entry) => entry.action === 'deactivate' || entry.action === 'delete').length, options);
}

/** The limit alone: a streamed run holds back its deactivations and deletions up to it, and knows it is blocked past it. */
export function deleteLimit(options: DeleteThreshold): number {
  return checkDeleteCount(0, options).limit;
}

/** The guard's verdict on a count of planned deactivations + deletions (a streamed run counts them as it plans). */
export function checkDeleteCount(planned: number, options: DeleteThreshold): GuardResult {
  const { threshold, thresholdPercent, storeSize, allowDeletes } = options;
  for (const [name, value] of Object.entries({ threshold, thresholdPercent, storeSize })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, not ${value}`);
  }
  const byPercent = Math.ceil((storeSize * thresholdPercent) / 100);
  const percentApplies = storeSize > 0;
  const limit = percentApplies ? Math.min(threshold, byPercent) : threshold;
  if (planned <= limit) return { blocked: false, planned, limit };
  const which = percentApplies && byPercent < threshold
    ? `${thresholdPercent}% of the ${storeSize} synced users`
    : `the threshold of ${threshold}`;
  const over = `${planned} deactivations and deletions are planned, more than the limit of ${limit} (${which})`;
  if (allowDeletes) return { blocked: false, reason: `${over}; allowed for this run`, planned, limit };
  return { blocked: true, reason: `${over}; nothing was changed. Check the directory and the mapping, then re-run allowing deletes`, planned, limit };
}
