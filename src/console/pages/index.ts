import type Router from '@koa/router';
import type { DataSource } from 'typeorm';
import type { TriggerRun } from '../../admin/sync-routes';
import type { GovernanceConfig, SyncConfig } from '../../config';

/** What the console's pages need: the store, the governance settings, and the sync (when configured). */
export interface ConsolePageDependencies {
  readonly dataSource: DataSource;
  readonly governance: GovernanceConfig;
  /** Starts sync runs (dry or real); absent while the directory sync is not configured. */
  readonly triggerRun?: TriggerRun;
  readonly sync?: SyncConfig;
}

/**
 * Registers the console's pages on a router whose session middleware already ran: every route
 * here reads the signed-in person with consoleState(ctx) and checks their permissions itself.
 */
export function registerConsolePages(_router: Router, _deps: ConsolePageDependencies): void {
  // The pages (dashboard, runs, approvals, audit, roles, users) register here.
}
