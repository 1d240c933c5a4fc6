import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { DataSource } from 'typeorm';
import { ServiceAccounts } from '../auth/service-accounts';
import type { HttpState } from '../http/state';
import type { Logger } from '../logger';
import { authenticateBearer } from './auth';
import { Problem, sendProblem, toProblem } from './problem';
import { registerSyncRoutes, type TriggerRun } from './sync-routes';

export const ADMIN_PREFIX = '/admin/api';

export interface AdminApiOptions {
  readonly dataSource: DataSource;
  readonly logger: Logger;
  /** Defaults to a ServiceAccounts over `dataSource`. */
  readonly accounts?: ServiceAccounts;
  /** Starts a sync run; absent while the directory sync is not configured (POST /sync/runs answers 409). */
  readonly triggerRun?: TriggerRun;
  /** Limit of a request body (default 64 KiB). */
  readonly maxBodyBytes?: number;
}

/** The admin JSON API's routes under /admin/api. Authentication and error bodies come from adminApi(). */
export function adminRouter(options: AdminApiOptions): Router<HttpState> {
  const router = new Router<HttpState>({ prefix: ADMIN_PREFIX });
  registerSyncRoutes(router, {
    dataSource: options.dataSource,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    ...(options.triggerRun ? { triggerRun: options.triggerRun } : {}),
  });
  return router;
}

/**
 * The admin JSON API as one Koa middleware: every request under /admin/api is authenticated
 * (bearer token of a service account) and answered here, failures as RFC 9457 problem details;
 * other paths pass through untouched.
 */
export function adminApi(options: AdminApiOptions): Middleware {
  const router = adminRouter(options);
  const routes = router.routes() as unknown as Middleware;
  const allowedMethods = router.allowedMethods() as unknown as Middleware;
  const authenticate = authenticateBearer(options.accounts ?? new ServiceAccounts(options.dataSource));
  const done = async (): Promise<void> => undefined;
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path !== ADMIN_PREFIX && !ctx.path.startsWith(`${ADMIN_PREFIX}/`)) {
      await next();
      return;
    }
    try {
      await authenticate(ctx, () => allowedMethods(ctx, () => routes(ctx, done)));
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 405) throw new Problem(405, `${ctx.method} is not allowed on ${ctx.path}`);
        if (ctx.status === 501) throw new Problem(501, `${ctx.method} is not implemented`);
        throw new Problem(404, `No resource at ${ctx.method} ${ctx.path}`);
      }
    } catch (error) {
      let problem = toProblem(error);
      if (!problem) {
        options.logger.error({ err: error, requestId: ctx.state.requestId }, 'admin request failed');
        problem = new Problem(500, `Internal error; quote request id ${String(ctx.state.requestId)}`);
      }
      sendProblem(ctx, problem);
    }
  };
}
