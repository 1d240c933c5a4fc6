import { STATUS_CODES } from 'node:http';
import type { Face } from '../http/faces';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * The admin API's wire format for failures: RFC 9457 problem details, `{status, title, detail}`
 * (the type is the default `about:blank`, so the title is the HTTP reason phrase). Not SCIM error
 * bodies: the admin API is not SCIM. Which failure and which headers is the edge's business
 * (src/http/failure.ts); this only says how it reads on the wire.
 */
export const problemFace: Face = {
  contentType: PROBLEM_CONTENT_TYPE,
  body: (failure) => ({ status: failure.status, title: STATUS_CODES[failure.status] ?? 'Error', detail: failure.detail }),
};
