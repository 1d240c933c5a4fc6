import type Router from '@koa/router';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context, Middleware } from 'koa';
import type { DataSource } from 'typeorm';
import type { TriggerRun } from '../../admin/sync-routes';
import type { GovernanceConfig, SyncConfig } from '../../config';
import { registerApprovalPages } from './approvals';
import { registerAuditPages } from './audit';
import { renderPageErrors } from './common';
import { registerDashboardPage } from './dashboard';
import { registerRolePages } from './roles';
import { registerRunPages } from './runs';
import { registerUserPages } from './users';

/** What the console's pages need: the store, the governance settings, and the sync (when configured). */
export interface ConsolePageDependencies {
  readonly dataSource: DataSource;
  readonly governance: GovernanceConfig;
  /** Starts sync runs (dry or real); absent while the directory sync is not configured. */
  readonly triggerRun?: TriggerRun;
  readonly sync?: SyncConfig;
}

/**
 * The page routes of one module, on the console's router (prefix /admin): each route's failures a
 * page in the layout (renderPageErrors), its handlers after that.
 */
export interface PageRoutes {
  get(path: string, ...middleware: Middleware[]): void;
  post(path: string, ...middleware: Middleware[]): void;
}

/** The style sheet and the script, served from src/console/assets (the CSP allows no inline ones). */
const ASSETS: readonly { readonly file: string; readonly type: string }[] = [
  { file: 'console.css', type: 'text/css; charset=utf-8' },
  { file: 'console.js', type: 'text/javascript; charset=utf-8' },
];

/**
 * Registers the console's pages on a router whose session middleware already ran: every route
 * here reads the signed-in person with consoleState(ctx) and checks their permissions itself.
 * Paths are relative to the router's prefix (/admin); links in the pages are absolute.
 */
export function registerConsolePages(router: Router, deps: ConsolePageDependencies): void {
  const errors = renderPageErrors();
  const routes: PageRoutes = {
    get: (paths, ...middleware) => {
      router.get(paths, errors, ...middleware);
    },
    post: (paths, ...middleware) => {
      router.post(paths, errors, ...middleware);
    },
  };
  for (const asset of ASSETS) {
    // Read once at start: the assets are part of the release, and a missing one fails the start, not a page.
    const body = readFileSync(path.join(__dirname, '..', 'assets', asset.file));
    router.get(`/assets/${asset.file}`, (ctx: Context) => {
      ctx.type = asset.type;
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = body;
    });
  }
  registerDashboardPage(routes, deps);
  registerRunPages(routes, deps);
  registerApprovalPages(routes, deps);
  registerAuditPages(routes, deps);
  registerRolePages(routes, deps);
  registerUserPages(routes, deps);
}
