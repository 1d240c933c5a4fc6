import Router from '@koa/router';
import { requirePermission } from '../admin/auth';
import type { HttpState } from '../http/state';
import type { AppMetrics } from './app-metrics';

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics on the main port, behind the bearer edge: a token whose roles carry metrics:read
 * (Super Administrator and Full API Access hold `*`). Without a token the edge answers 401.
 */
export function metricsRouter(metrics: AppMetrics): Router<HttpState> {
  const router = new Router<HttpState>();
  router.get(METRICS_PATH, requirePermission('metrics:read'), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.contentType;
    ctx.body = await metrics.render();
  });
  return router;
}
