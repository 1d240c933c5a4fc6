import { createHash } from 'node:crypto';
import type { Keyset } from '../../src/identity/query';
import { ScimError } from '../errors';

/**
 * RFC 9865 cursors. A cursor is opaque to clients; inside it is the keyset of the last row served
 * and a fingerprint of the query (filter, sort), so a cursor is refused when reused for another query.
 * It carries no secret and grants nothing: a forged cursor only picks a different starting row.
 *
 * It also carries the walk's total, counted once for its first page: RFC 9865 §2.2 asks for an
 * accurate totalResults where the provider can give one and lets a provider that cannot estimate it
 * leave it out. A COUNT(*) per page was most of a deep page's cost (docs/benchmarks.md), so later
 * pages answer the total as it was when the walk began: the same figure on every page of one walk.
 */
export type { Keyset } from '../../src/identity/query';

interface CursorBody {
  readonly v: string | number;
  readonly i: string;
  readonly q: string;
  /** The total counted for the walk's first page. */
  readonly t?: number;
}

/** Where the next page starts, and the total of the walk it belongs to when the cursor carries one. */
export interface CursorPosition {
  readonly after: Keyset;
  readonly total?: number;
}

export function queryFingerprint(parts: readonly (string | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(keyset: Keyset, fingerprint: string, total?: number): string {
  const body: CursorBody = { v: keyset.value, i: keyset.id, q: fingerprint, ...(total === undefined ? {} : { t: total }) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalidCursor('The cursor is not one this server issued');
  }
  if (typeof body !== 'object' || body === null || typeof body.i !== 'string'
    || (typeof body.v !== 'string' && typeof body.v !== 'number') || typeof body.q !== 'string'
    || (body.t !== undefined && !(Number.isSafeInteger(body.t) && body.t >= 0))) {
    throw invalidCursor('The cursor is not one this server issued');
  }
  if (body.q !== fingerprint) {
    throw invalidCursor('The cursor belongs to a different query: keep filter, sortBy and sortOrder the same while paging');
  }
  const after = { value: body.v, id: body.i };
  return body.t === undefined ? { after } : { after, total: body.t };
}

function invalidCursor(detail: string): ScimError {
  return new ScimError(400, 'invalidCursor', detail);
}
