import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { GovernanceConfig } from '../config';
import type { HttpState } from '../http/state';
import { registerAssignmentRoutes } from './assignment-routes';
import { registerAuditRoutes } from './audit-routes';
import { changeRequestsFor } from './change-requests-factory';
import { registerChangeRequestRoutes } from './change-request-routes';
import { registerRoleRoutes } from './role-routes';
import { registerServiceAccountRoutes } from './service-account-routes';
import { registerSyncRoutes, type TriggerRun } from './sync-routes';

export const ADMIN_PREFIX = '/admin/api';

export interface AdminApiOptions {
  readonly dataSource: DataSource;
  /** Starts a sync run; absent while the directory sync is not configured (POST /sync/runs answers 409). */
  readonly triggerRun?: TriggerRun;
  /** Limit of a request body (default 64 KiB). */
  readonly maxBodyBytes?: number;
  /** APPROVAL_MODE and APPROVAL_EXPIRY_DAYS (default: high-risk, 7 days). */
  readonly governance?: GovernanceConfig;
}

export const DEFAULT_GOVERNANCE: GovernanceConfig = { approvalMode: 'high-risk', approvalExpiryDays: 7 };

/**
 * The admin JSON API's routes under /admin/api. Authentication and error bodies (RFC 9457 problem
 * details, src/admin/problem.ts) come from the edge the app mounts in front of every face.
 */
export function adminRouter(options: AdminApiOptions): Router<HttpState> {
  const router = new Router<HttpState>({ prefix: ADMIN_PREFIX });
  const governance = options.governance ?? DEFAULT_GOVERNANCE;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const trigger = options.triggerRun;
  const changeRequests = changeRequestsFor(options.dataSource, trigger);
  registerSyncRoutes(router, {
    dataSource: options.dataSource, maxBodyBytes, approvalExpiryDays: governance.approvalExpiryDays,
    ...(trigger ? { triggerRun: trigger } : {}),
  });
  registerAuditRoutes(router, { dataSource: options.dataSource });
  registerRoleRoutes(router, { dataSource: options.dataSource, governance, maxBodyBytes });
  registerAssignmentRoutes(router, { dataSource: options.dataSource, governance, maxBodyBytes });
  registerChangeRequestRoutes(router, { changeRequests, maxBodyBytes });
  registerServiceAccountRoutes(router, { dataSource: options.dataSource, governance, maxBodyBytes });
  return router;
}
