import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { toScimError } from '../../scim/domain-errors';
import { ScimError } from '../../scim/errors';
import { SCIM_CONTENT_TYPE } from './scim-router';

/**
 * Renders every failure as a SCIM error body (RFC 7644 §3.12), on every route: SCIM clients parse
 * these for 401 and 404 too. Unexpected errors are logged with the request id and answered 500
 * without internals.
 */
export function errorRenderer(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new ScimError(404, undefined, `No resource at ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405) throw new ScimError(405, undefined, `${ctx.method} is not allowed on ${ctx.path}`);
        if (ctx.status === 501) throw new ScimError(501, undefined, `${ctx.method} is not implemented`);
      }
    } catch (error) {
      let scimError = toScimError(error);
      if (!scimError) {
        const status = (error as { status?: unknown }).status;
        if (typeof status === 'number' && status >= 400 && status < 500) {
          scimError = new ScimError(status, undefined, (error as Error).message);
        } else {
          logger.error({ err: error, requestId: ctx.state.requestId }, 'request failed');
          scimError = new ScimError(500, undefined, `Internal error; quote request id ${String(ctx.state.requestId)}`);
        }
      }
      ctx.status = scimError.status;
      ctx.type = SCIM_CONTENT_TYPE;
      ctx.body = scimError.toJSON();
      if (scimError.status === 401) ctx.set('WWW-Authenticate', 'Bearer realm="scimd"');
    }
  };
}
