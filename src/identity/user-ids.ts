import { v7 } from 'uuid';

/**
 * A new user's id: a version 7 UUID (RFC 9562), whose first 48 bits are the time it was made and
 * the other 74 random. Users created one after another get ids in order, so their rows are appended
 * at the end of the users table's primary key, and of a role's members when they join it, instead of
 * landing on a random page of each: at 100,000 users random ids kept splitting and re-reading pages
 * all over the table (docs/benchmarks.md). The time an id carries is the one meta.created shows.
 */
export function newUserId(): string {
  return v7();
}
