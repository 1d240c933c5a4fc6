import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppMetrics } from './app-metrics';

/** The one route label of every request no route answers: its raw path might hold anything. */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** A route-matching router, as far as resolving a template goes (@koa/router's `match`). */
type RouteMatcher = Pick<Router, 'match'>;

/**
 * The route template a request belongs to. The router that served it leaves the template on the
 * context (`_matchedRoute`, with its prefix). A request refused before any router ran (401 at the
 * bearer edge) or by allowedMethods (405) is matched against the routers here, so it is labelled
 * by the route it asked for, not lumped in with unknown paths.
 */
export function routeTemplate(ctx: Context, routers: readonly RouteMatcher[]): string {
  const served = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  if (served !== undefined) return String(served);
  for (const router of routers) {
    const match = router.match(ctx.path, ctx.method);
    const layer = match.pathAndMethod.findLast((candidate) => candidate.methods.length > 0)
      ?? match.path.findLast((candidate) => candidate.methods.length > 0);
    if (layer) return String(layer.path);
  }
  return UNMATCHED_ROUTE;
}

/**
 * Times every request of the app, from the first middleware to the last, and observes it with its
 * method, route template and final status (the error renderer's, for a failure).
 */
export function httpMetrics(metrics: AppMetrics, routers: readonly RouteMatcher[]) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const start = performance.now();
    try {
      await next();
    } finally {
      metrics.observeRequest({
        method: METHODS.has(ctx.method) ? ctx.method : 'other',
        route: routeTemplate(ctx, routers),
        status: ctx.status,
        seconds: (performance.now() - start) / 1000,
      });
    }
  };
}
