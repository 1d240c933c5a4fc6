import type { Context, Next } from 'koa';
import type { BearerAuthenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { BEARER_CHALLENGE } from '../../scim/errors';
import { HttpError } from './http-error';
import type { HttpState } from './state';

/** RFC 6750 §2.1 `Authorization: Bearer <token>`; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

const unauthorized = (detail: string): HttpError => new HttpError(401, detail, { headers: BEARER_CHALLENGE });

/**
 * Authenticates every request that reaches it, for both faces, whatever the spelling of its path:
 * mounted before the routers rather than inside them, so no route (however its path is cased) is
 * reached without a principal. Every caller has a bearer token: a service account's (`scimd_…`) or
 * a person's personal access token (`scimd_p_…`).
 */
export function authenticateBearer(authenticator: BearerAuthenticator) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('Authorization');
    const match = BEARER.exec(header);
    if (!match?.[1]) {
      throw unauthorized(header
        ? 'The Authorization header must be "Bearer <token>"'
        : 'Authentication required: send "Authorization: Bearer <token>"');
    }
    const principal = await authenticator.authenticate(match[1]);
    if (!principal) throw unauthorized('The bearer token is unknown, revoked or expired');
    (ctx.state as HttpState).principal = principal;
    await next();
  };
}

/**
 * The caller of the request. Handlers read it through here, never by a cast: should a route ever be
 * mounted where authentication does not run, it answers 401, not a TypeError.
 */
export function requirePrincipal(ctx: Context): Principal {
  const principal = (ctx.state as HttpState).principal;
  if (!principal) throw unauthorized('Authentication required: send "Authorization: Bearer <token>"');
  return principal;
}
