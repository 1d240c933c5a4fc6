import { expect } from 'chai';
import { backoffDelay, isRetryableConflict, retryOnConflict, type RetryPolicy } from '../../../src/db/conflict-retry';
import { DomainError } from '../../../src/errors';

/** A mysql2 error as TypeORM wraps it (QueryFailedError keeps the driver's error). */
function driverFailure(errno: number, code: string): Error {
  return Object.assign(new Error(`${code}: simulated`), { driverError: { errno, code } });
}

/** A policy that records the pauses it is asked for instead of waiting. */
function recordingPolicy(attempts: number, random = () => 0.5): { policy: RetryPolicy; pauses: number[] } {
  const pauses: number[] = [];
  const policy: RetryPolicy = {
    attempts, baseDelayMs: 10, maxDelayMs: 40, random,
    sleep: (ms) => {
      pauses.push(ms);
      return Promise.resolve();
    },
  };
  return { policy, pauses };
}

describe('conflict-retry', () => {
  describe('#isRetryableConflict()', () => {
    it('recognises a deadlock or Galera certification failure, a lock wait timeout and a changed read', () => {
      expect(isRetryableConflict(driverFailure(1213, 'ER_LOCK_DEADLOCK'))).to.equal(true);
      expect(isRetryableConflict(driverFailure(1205, 'ER_LOCK_WAIT_TIMEOUT'))).to.equal(true);
      expect(isRetryableConflict(driverFailure(1020, 'ER_CHECKREAD'))).to.equal(true);
      expect(isRetryableConflict(Object.assign(new Error('bare'), { errno: 1213 }))).to.equal(true);
    });

    it('leaves every other error alone', () => {
      expect(isRetryableConflict(driverFailure(1062, 'ER_DUP_ENTRY'))).to.equal(false);
      expect(isRetryableConflict(new Error('ER_LOCK_DEADLOCK in a message only'))).to.equal(false);
      expect(isRetryableConflict(null)).to.equal(false);
      expect(isRetryableConflict('1213')).to.equal(false);
    });
  });

  describe('#backoffDelay()', () => {
    it('doubles the ceiling from the base up to the cap and scales it by the random draw', () => {
      const policy = { baseDelayMs: 10, maxDelayMs: 40, random: () => 0.999 };
      expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, policy))).to.deep.equal([9, 19, 39, 39, 39]);
      expect(backoffDelay(3, { ...policy, random: () => 0 })).to.equal(0);
    });
  });

  describe('#retryOnConflict()', () => {
    it('reruns the whole attempt after conflicts and returns its eventual result', async () => {
      const { policy, pauses } = recordingPolicy(5);
      let runs = 0;
      const result = await retryOnConflict(async () => {
        runs += 1;
        if (runs < 3) throw driverFailure(1213, 'ER_LOCK_DEADLOCK');
        return 'committed';
      }, policy);
      expect(result).to.equal('committed');
      expect(runs).to.equal(3);
      expect(pauses).to.deep.equal([5, 10]);
    });

    it('gives up after the last attempt with busy, keeping the conflict as the cause', async () => {
      const { policy, pauses } = recordingPolicy(4);
      const conflict = driverFailure(1213, 'ER_LOCK_DEADLOCK');
      let runs = 0;
      const error: unknown = await retryOnConflict(() => {
        runs += 1;
        return Promise.reject(conflict);
      }, policy).then(() => undefined, (rejection: unknown) => rejection);
      expect(error).to.be.instanceOf(DomainError);
      expect((error as DomainError).kind).to.equal('busy');
      expect((error as DomainError).cause).to.equal(conflict);
      expect(runs).to.equal(4);
      expect(pauses).to.have.length(3);
    });

    it('does not retry an error that is not a conflict', async () => {
      const { policy, pauses } = recordingPolicy(5);
      const duplicate = driverFailure(1062, 'ER_DUP_ENTRY');
      let runs = 0;
      const error: unknown = await retryOnConflict(() => {
        runs += 1;
        return Promise.reject(duplicate);
      }, policy).then(() => undefined, (rejection: unknown) => rejection);
      expect(error).to.equal(duplicate);
      expect(runs).to.equal(1);
      expect(pauses).to.deep.equal([]);
    });
  });
});
