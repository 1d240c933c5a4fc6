import type { DataSource } from 'typeorm';
import { LeaseEntity } from './entities';
import { alone } from './transaction';

/**
 * Named leases: a lock with an expiry, shared by every process on one database, so that for
 * instance only one replica runs the directory sync at a time. A holder that dies simply lets its
 * lease expire; whoever asks after that takes it over.
 *
 * Each step is a single statement, atomic on both databases: an INSERT that fails on the primary
 * key when the lease exists, and an UPDATE … WHERE name = ? AND (expires_at < now OR holder = me)
 * that only one contender can win. Times are ISO strings from each process's clock: keep the TTL
 * well above the clock skew between replicas, and renew well before it runs out.
 */

export interface LeaseView {
  readonly name: string;
  readonly holder: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** False once expiresAt has passed (the lease is free to take over). */
  readonly active: boolean;
}

/**
 * Takes the lease for `ttlMs` when nobody holds it, when its holder let it expire, or when
 * `holder` already holds it (which extends it). True when `holder` holds it afterwards.
 */
export async function acquireLease(dataSource: DataSource, name: string, holder: string, ttlMs: number): Promise<boolean> {
  checkArguments(name, holder, ttlMs);
  return alone(dataSource, async (manager) => {
    // Twice: a lease released between the failed INSERT and the UPDATE is free again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = new Date();
      const values = { holder, acquiredAt: now.toISOString(), expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
      const taken = await manager.createQueryBuilder().update(LeaseEntity).set(values)
        .where('name = :name AND (expires_at < :now OR holder = :holder)', { name, now: values.acquiredAt, holder })
        .execute();
      if (taken.affected === 1) return true;
      try {
        await manager.createQueryBuilder().insert().into(LeaseEntity).values({ name, ...values }).updateEntity(false).execute();
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      // The row exists. If it is still held by someone else, it is theirs.
      const current = await manager.findOneBy(LeaseEntity, { name });
      if (current && current.expiresAt >= new Date().toISOString()) return false;
    }
    return false;
  });
}

/** Extends a lease `holder` holds to now + ttlMs. False when it has lost it (taken over or released). */
export async function renewLease(dataSource: DataSource, name: string, holder: string, ttlMs: number): Promise<boolean> {
  checkArguments(name, holder, ttlMs);
  return alone(dataSource, async (manager) => {
    const expiresAt = new Date(Date.now() + ttlMs).toISOString();
    const result = await manager.createQueryBuilder().update(LeaseEntity).set({ expiresAt })
      .where('name = :name AND holder = :holder', { name, holder })
      .execute();
    return result.affected === 1;
  });
}

/** Gives a lease up. False when `holder` did not hold it. */
export async function releaseLease(dataSource: DataSource, name: string, holder: string): Promise<boolean> {
  return alone(dataSource, async (manager) => {
    const result = await manager.createQueryBuilder().delete().from(LeaseEntity)
      .where('name = :name AND holder = :holder', { name, holder })
      .execute();
    return result.affected === 1;
  });
}

/** The lease as it stands, expired or not; undefined when nobody has it. */
export async function getLease(dataSource: DataSource, name: string): Promise<LeaseView | undefined> {
  const lease = await dataSource.getRepository(LeaseEntity).findOneBy({ name });
  if (!lease) return undefined;
  return { ...lease, active: lease.expiresAt >= new Date().toISOString() };
}

function checkArguments(name: string, holder: string, ttlMs: number): void {
  if (name === '' || name.length > 64) throw new RangeError('A lease name is 1-64 characters');
  if (holder === '' || holder.length > 255) throw new RangeError('A lease holder is 1-255 characters');
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError('A lease TTL is a positive number of milliseconds');
}

/** The primary-key violation of either driver (src/db sits below identity/constraint-violation.ts). */
function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  return [code, driverError?.code].some((value) => value === 'ER_DUP_ENTRY' || value === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}
