import { createHash } from 'node:crypto';
import type { Keyset } from '../../src/identity/query';
import { ScimError } from '../errors';

/**
 * RFC 9865 cursors. A cursor is opaque to clients; inside it is the keyset of the last row served
 * and a fingerprint of the query (filter, sort), so a cursor is refused when reused for another query.
 * It carries no secret and grants nothing: a forged cursor only picks a different starting row.
 */
export type { Keyset } from '../../src/identity/query';

interface CursorBody {
  readonly v: string | number;
  readonly i: string;
  readonly q: string;
}

export function queryFingerprint(parts: readonly (string | undefined)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(keyset: Keyset, fingerprint: string): string {
  const body: CursorBody = { v: keyset.value, i: keyset.id, q: fingerprint };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, fingerprint: string): Keyset {
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalidCursor('The cursor is not one this server issued');
  }
  if (typeof body !== 'object' || body === null || typeof body.i !== 'string'
    || (typeof body.v !== 'string' && typeof body.v !== 'number') || typeof body.q !== 'string') {
    throw invalidCursor('The cursor is not one this server issued');
  }
  if (body.q !== fingerprint) {
    throw invalidCursor('The cursor belongs to a different query: keep filter, sortBy and sortOrder the same while paging');
  }
  return { value: body.v, id: body.i };
}

function invalidCursor(detail: string): ScimError {
  return new ScimError(400, 'invalidCursor', detail);
}
