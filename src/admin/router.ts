import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { HttpState } from '../http/state';
import { registerAuditRoutes } from './audit-routes';
import { registerSyncRoutes, type TriggerRun } from './sync-routes';

export const ADMIN_PREFIX = '/admin/api';

export interface AdminApiOptions {
  readonly dataSource: DataSource;
  /** Starts a sync run; absent while the directory sync is not configured (POST /sync/runs answers 409). */
  readonly triggerRun?: TriggerRun;
  /** Limit of a request body (default 64 KiB). */
  readonly maxBodyBytes?: number;
}

/**
 * The admin JSON API's routes under /admin/api. Authentication and error bodies (RFC 9457 problem
 * details, src/admin/problem.ts) come from the edge the app mounts in front of every face.
 */
export function adminRouter(options: AdminApiOptions): Router<HttpState> {
  const router = new Router<HttpState>({ prefix: ADMIN_PREFIX });
  registerSyncRoutes(router, {
    dataSource: options.dataSource,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    ...(options.triggerRun ? { triggerRun: options.triggerRun } : {}),
  });
  registerAuditRoutes(router, { dataSource: options.dataSource });
  return router;
}
