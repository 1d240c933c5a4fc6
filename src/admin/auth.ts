import type { Context, Next } from 'koa';
import type { Principal } from '../auth/principal';
import { may } from '../auth/principal';
import type { Permission } from '../auth/permissions';
import type { ServiceAccounts } from '../auth/service-accounts';
import { Problem } from './problem';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="scimd"' };

/**
 * Bearer-token authentication, the same tokens as the SCIM API (ServiceAccounts.authenticate).
 * Persons cannot sign in yet: every caller is a service account.
 */
export function authenticateBearer(accounts: ServiceAccounts) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const header = ctx.get('Authorization');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new Problem(401, header
        ? 'The Authorization header must be "Bearer <token>"'
        : 'Authentication required: send "Authorization: Bearer <token>"', CHALLENGE);
    }
    const principal = await accounts.authenticate(match[1]);
    if (!principal) throw new Problem(401, 'The bearer token is unknown, revoked or expired', CHALLENGE);
    ctx.state.principal = principal;
    await next();
  };
}

/** Refuses with 403 a caller whose roles do not grant `permission`. */
export function requirePermission(permission: Permission) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const principal = ctx.state.principal as Principal | undefined;
    if (!principal || !may(principal, permission)) {
      throw new Problem(403, `This needs the ${permission} permission, which the roles of ${principal?.name ?? 'the caller'} do not grant`);
    }
    await next();
  };
}
