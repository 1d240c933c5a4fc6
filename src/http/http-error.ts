import type { ErrorHeaders, ScimType } from '../../scim/errors';

/**
 * A failure the HTTP edge (authentication, body reading, routing) or an admin route answers with:
 * its status, a detail the caller can act on, and the headers the response must carry
 * (WWW-Authenticate with a 401, Retry-After with a 503), as Koa's HttpError carries `headers`.
 * Neutral between the faces: each renders it in its own wire format. `scimType` is the RFC 7644
 * §3.12 keyword the SCIM face puts in its body; the admin face has no use for it.
 */
export class HttpError extends Error {
  readonly headers: ErrorHeaders;
  readonly scimType: ScimType | undefined;

  constructor(
    readonly status: number,
    readonly detail: string,
    options: { readonly headers?: ErrorHeaders; readonly scimType?: ScimType } = {},
  ) {
    super(detail);
    this.name = 'HttpError';
    this.headers = options.headers ?? {};
    this.scimType = options.scimType;
  }
}
