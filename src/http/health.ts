import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { migrationsApplied } from '../db/data-source';

/**
 * /readyz answers within about this long even when the database does not (a host that stopped
 * answering, a pool whose every connection is stuck): load balancers time their probes out after a
 * few seconds and would count a late 200 as a failure anyway.
 */
export const READINESS_PROBE_DEADLINE_MS = 2_000;

/** The paths the health router answers (the edge asks it about nothing else). */
export const HEALTH_PATHS = ['/livez', '/readyz'] as const;

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
      // One deadline for both queries. Applied migrations do not un-apply: once seen, skip the check.
      migrated = await withinDeadline((async () => {
        await dataSource.query('SELECT 1');
        return migrated || migrationsApplied(dataSource);
      })(), READINESS_PROBE_DEADLINE_MS);
      checks.database = 'ok';
      checks.migrations = migrated ? 'ok' : 'pending';
    } catch {
      // Unreachable, or too slow to count as up; the probe's own failure is not logged (probes come every few seconds).
      checks.database = 'unreachable';
    }
    checks.lifecycle = lifecycle.shuttingDown ? 'shutting down' : 'ok';
    const ready = Object.values(checks).every((value) => value === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  return router;
}

/** `work`, or a rejection once `ms` have passed (the work itself goes on; its late result is ignored). */
function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a rejection after the deadline is not unhandled
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
