import type Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { HttpState } from '../http/state';

/** GET /audit (audit:read): being written; registered here so that src/admin/router.ts is wired once. */
export function registerAuditRoutes(_router: Router<HttpState>, _options: { dataSource: DataSource }): void {
  // Replaced by the audit log routes.
}
