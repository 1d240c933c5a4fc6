import type { Context, Next } from 'koa';
import { may } from '../auth/principal';
import type { Permission } from '../auth/permissions';
import { HttpError } from '../http/http-error';
import { requirePrincipal } from '../http/principal';

/**
 * Refuses with 403 a caller whose roles do not grant `permission`. Who the caller is was settled at
 * the edge (src/http/principal.ts), for the admin API and SCIM alike: the same bearer tokens.
 */
export function requirePermission(permission: Permission) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const principal = requirePrincipal(ctx);
    if (!may(principal, permission)) {
      throw new HttpError(403, `This needs the ${permission} permission, which the roles of ${principal.name} do not grant`);
    }
    await next();
  };
}
