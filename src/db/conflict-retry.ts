import { busyError } from '../errors';

/**
 * Reruns a whole transaction that the database aborted for a reason that goes away by itself:
 *
 * - ER_LOCK_DEADLOCK (1213): InnoDB chose this transaction as a deadlock victim, or, on a Galera
 *   cluster, another node committed a conflicting write set first (a certification failure, which
 *   Galera reports with the same error, often at COMMIT). Either way the transaction was rolled
 *   back whole, so running the callback again from the start is the only correct retry.
 * - ER_LOCK_WAIT_TIMEOUT (1205): a row lock stayed taken longer than innodb_lock_wait_timeout. By
 *   default InnoDB rolls back only that statement, but the callback's error leaves the transaction
 *   helper, which rolls back the rest, so the retry again starts from nothing.
 * - ER_CHECKREAD (1020): "Record has changed since last read", raised under MariaDB's
 *   innodb_snapshot_isolation when a locking read meets a newer committed row.
 *
 * The callback must therefore be safe to run more than once: it may only change the database
 * through the manager it is given and variables it (re)assigns, never push onto arrays or send
 * anything outside the transaction. When the attempts run out the caller gets `busy` (503 with
 * Retry-After: 1 on SCIM), never a 500 and never a half-written change.
 */

/** MariaDB/MySQL error numbers and codes of an aborted, retryable transaction. */
const RETRYABLE = new Map<number, string>([
  [1213, 'ER_LOCK_DEADLOCK'],
  [1205, 'ER_LOCK_WAIT_TIMEOUT'],
  [1020, 'ER_CHECKREAD'],
]);

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first pause; each further one doubles, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1): spreads the retries of contenders that failed together ("full jitter"). */
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Ten attempts, pauses drawn from up to 5, 10, 20 … 500 ms: under two seconds of pauses at worst
 * (half that on average), still well inside an identity provider's request timeout. Writes of one
 * row through different Galera nodes conflict whenever they overlap, and so do the audit chain's
 * seals (its head is one row for the whole cluster); measured with two replicas at 8 connections
 * each (docs/scaling.md), back when every write appended to the chain itself, 8 attempts capped at
 * 250 ms left 3% of creates with 503.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 10,
  baseDelayMs: 5,
  maxDelayMs: 500,
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** True for a deadlock, a Galera certification failure, a lock wait timeout or a changed read. */
export function isRetryableConflict(error: unknown): boolean {
  for (const candidate of [error, (error as { driverError?: unknown } | null)?.driverError]) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const { errno, code } = candidate as { errno?: unknown; code?: unknown };
    if (typeof errno === 'number' && RETRYABLE.has(errno)) return true;
    if (typeof code === 'string' && [...RETRYABLE.values()].includes(code)) return true;
  }
  return false;
}

/** The pause before attempt `attempt + 1` (attempt counts from 1): full jitter over a capped doubling. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Runs `attempt` (one whole transaction) until it succeeds, fails for another reason, or has
 * failed `policy.attempts` times with a retryable conflict (then `busy`, with the last conflict as cause).
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryableConflict(error)) throw error;
      if (tried >= policy.attempts) {
        throw busyError(`The database kept refusing the change because of concurrent writes (${tried} attempts); send it again`, error);
      }
      await policy.sleep(backoffDelay(tried, policy));
    }
  }
}
