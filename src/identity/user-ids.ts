import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * A new user's id: a version 7 UUID (RFC 9562), whose first 48 bits are the time it was made and
 * the other 74 random. Users created one after another get ids in order, so their rows are appended
 * at the end of the users table's primary key, and of a role's members when they join it, instead of
 * landing on a random page of each: at 100,000 users random ids kept splitting and re-reading pages
 * all over the table (docs/benchmarks.md). The time an id carries is the one meta.created shows.
 */
export function newUserId(): string {
  return userIdClock.next(Date.now(), randomBytes16());
}

/**
 * The time and counter of the ids made so far, so that each id sorts after the one before it: a
 * 32-bit counter (`seq`, started at a random value below 2^31 each new millisecond) orders the ids
 * of one millisecond, and a clock that steps back keeps the last millisecond and counts on (RFC 9562
 * 6.2, method 1). uuid's v7() keeps the same state, but only when it draws its own random bytes, one
 * crypto call per id (about 5 µs, most of the cost of an id, and a sync creates 100,000 users at a
 * time); given the bytes, it leaves the ordering to the caller, so it is kept here.
 */
export class UserIdClock {
  private msecs = -Infinity;
  private seq = 0;

  /** The next id: `now` the time in ms, `random` 16 bytes of which the id takes its random bits. */
  next(now: number, random: Uint8Array): string {
    if (now > this.msecs) {
      this.msecs = now;
      this.seq = (((random[6] ?? 0) & 0x7f) << 24) | ((random[7] ?? 0) << 16) | ((random[8] ?? 0) << 8) | (random[9] ?? 0);
    } else {
      this.seq = (this.seq + 1) | 0;
      // The counter ran out (2^31 ids or more in one millisecond): it wraps into the next millisecond.
      if (this.seq === 0) this.msecs += 1;
    }
    return v7({ random, msecs: this.msecs, seq: this.seq });
  }
}

const userIdClock = new UserIdClock();

/** Random bytes drawn 4 KiB at a time: one crypto call per 256 ids. Each id's 16 bytes are used once. */
const RANDOM_POOL = new Uint8Array(4096);
let poolUsed = RANDOM_POOL.length;

function randomBytes16(): Uint8Array {
  if (poolUsed + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolUsed = 0;
  }
  const bytes = RANDOM_POOL.subarray(poolUsed, poolUsed + 16);
  poolUsed += 16;
  return bytes;
}
