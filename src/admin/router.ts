import Router from '@koa/router';
import type { DataSource } from 'typeorm';
import { applyServiceAccountRequest, applyServiceTokenRequest } from '../auth/service-account-requests';
import type { GovernanceConfig } from '../config';
import { ChangeRequests } from '../governance/change-requests';
import { applySyncRelease } from '../governance/sync-release';
import type { HttpState } from '../http/state';
import { applyRoleAssignment } from '../identity/role-assignments';
import { applyRoleDefinition } from '../identity/role-definitions';
import { registerAssignmentRoutes } from './assignment-routes';
import { registerAuditRoutes } from './audit-routes';
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
  // What an approval applies, by kind of request; releasing a blocked run starts the run once the approval committed.
  const changeRequests = new ChangeRequests(options.dataSource, {
    appliers: {
      'role-assignment': applyRoleAssignment, 'role-definition': applyRoleDefinition, 'sync-release': applySyncRelease,
      'service-account': applyServiceAccountRequest, 'service-token': applyServiceTokenRequest,
    },
    ...(trigger ? {
      followUps: {
        'sync-release': async (context, payload) => {
          const mode = payload.mode === 'full' || payload.mode === 'delta' ? payload.mode : undefined;
          const { runId } = await trigger({ ...(mode ? { mode } : {}), allowDeletes: true, context });
          return { runId };
        },
      },
    } : {}),
  });
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
