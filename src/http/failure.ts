import { toScimError } from '../../scim/domain-errors';
import type { ErrorHeaders, ScimType } from '../../scim/errors';
import { HttpError } from './http-error';

/** What a face needs to answer a failed request, whatever was thrown. */
export interface Failure {
  readonly status: number;
  readonly detail: string;
  /** Set on the response as they are; the renderer adds none of its own. */
  readonly headers: ErrorHeaders;
  /** RFC 7644 §3.12 keyword, for the SCIM face. */
  readonly scimType?: ScimType;
}

/**
 * The one mapping from thrown values to failures: HttpError (the edge, the admin routes),
 * ScimError and floor 2's DomainError (through scim/domain-errors.ts, so that a Bulk operation and a
 * single request fail alike), and 4xx errors that Koa or its middleware throw (they carry
 * `status`, `expose` and `headers`). Anything else is unexpected: undefined, a 500.
 */
export function toFailure(error: unknown): Failure | undefined {
  if (error instanceof HttpError) {
    return { status: error.status, detail: error.detail, headers: error.headers,
      ...(error.scimType ? { scimType: error.scimType } : {}) };
  }
  const scimError = toScimError(error);
  if (scimError) {
    return { status: scimError.status, detail: scimError.detail, headers: scimError.headers,
      ...(scimError.scimType ? { scimType: scimError.scimType } : {}) };
  }
  if (!(error instanceof Error)) return undefined;
  const { status, expose, headers } = error as Error & { status?: unknown; expose?: unknown; headers?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || expose === false) return undefined;
  return { status, detail: error.message, headers: stringHeaders(headers) };
}

function stringHeaders(headers: unknown): ErrorHeaders {
  if (typeof headers !== 'object' || headers === null) return {};
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
