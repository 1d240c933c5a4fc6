import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { migrationsApplied } from '../db/data-source';

export interface Lifecycle {
  shuttingDown: boolean;
}

/**
 * /livez: the process is up. /readyz: it should get traffic — the database answers, every
 * migration is applied, and it is not shutting down (so a load balancer drains it first).
 */
export function healthRouter(dataSource: DataSource, lifecycle: Lifecycle): Router {
  const router = new Router();
  let migrated = false;
  router.get('/livez', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await dataSource.query('SELECT 1');
      checks.database = 'ok';
      // Applied migrations do not un-apply: once seen, skip the check.
      migrated = migrated || await migrationsApplied(dataSource);
      checks.migrations = migrated ? 'ok' : 'pending';
    } catch {
      checks.database = 'unreachable';
    }
    checks.lifecycle = lifecycle.shuttingDown ? 'shutting down' : 'ok';
    const ready = Object.values(checks).every((value) => value === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  return router;
}
