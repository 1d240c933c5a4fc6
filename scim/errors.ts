/**
 * The one error type of the SCIM face. `scimType` values are the ones RFC 7644 §3.12 Table 9 defines;
 * every 4xx/5xx the SCIM routes answer is rendered from one of these.
 */
export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath'
  | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive'
  /** RFC 9865 §2.3 */
  | 'invalidCursor' | 'expiredCursor';

/** HTTP headers an error response must carry, by name. */
export type ErrorHeaders = Readonly<Record<string, string>>;

/**
 * RFC 7644 §2 authenticates with OAuth bearer tokens; RFC 6750 §3 makes every 401 carry this
 * challenge. An error that answers 401 carries it in its headers.
 */
export const BEARER_CHALLENGE: ErrorHeaders = { 'WWW-Authenticate': 'Bearer realm="scimd"' };

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    /** Sent with the error response, e.g. WWW-Authenticate with a 401 or Retry-After with a 503. */
    readonly headers: ErrorHeaders = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  /** RFC 7644 §3.12: `status` is a string in the error body. */
  toJSON(): Record<string, unknown> {
    return {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }
}

export const invalidFilter = (detail: string): ScimError => new ScimError(400, 'invalidFilter', detail);
export const invalidSyntax = (detail: string): ScimError => new ScimError(400, 'invalidSyntax', detail);
export const invalidValue = (detail: string): ScimError => new ScimError(400, 'invalidValue', detail);
export const invalidPath = (detail: string): ScimError => new ScimError(400, 'invalidPath', detail);
export const mutability = (detail: string): ScimError => new ScimError(400, 'mutability', detail);
export const noTarget = (detail: string): ScimError => new ScimError(400, 'noTarget', detail);
export const notFound = (detail: string): ScimError => new ScimError(404, undefined, detail);
