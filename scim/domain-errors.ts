import { DomainError } from '../src/errors';
import { BEARER_CHALLENGE, ScimError } from './errors';

/** A write that lost a deadlock or certification race may be sent again at once. */
const RETRY_BUSY_AFTER_SECONDS = '1';
/** A database outage is usually a restart or a failover: a few seconds, not a tight loop. */
const RETRY_UNAVAILABLE_AFTER_SECONDS = '5';

/** The one place where floor 2's domain errors become SCIM errors (RFC 7644 §3.12). */
export function toScimError(error: unknown): ScimError | undefined {
  if (error instanceof ScimError) return error;
  if (!(error instanceof DomainError)) return undefined;
  switch (error.kind) {
    case 'notFound': return new ScimError(404, undefined, error.message);
    case 'conflict': return new ScimError(409, 'uniqueness', error.message);
    case 'forbidden': return new ScimError(403, undefined, error.message);
    case 'mutability': return new ScimError(400, 'mutability', error.message);
    case 'invalid': return new ScimError(400, 'invalidValue', error.message);
    case 'preconditionFailed': return new ScimError(412, undefined, error.message);
    case 'unauthorized': return new ScimError(401, undefined, error.message, BEARER_CHALLENGE);
    case 'busy': return new ScimError(503, undefined, error.message, { 'Retry-After': RETRY_BUSY_AFTER_SECONDS });
    case 'unavailable':
      return new ScimError(503, undefined, error.message, { 'Retry-After': RETRY_UNAVAILABLE_AFTER_SECONDS });
  }
}
