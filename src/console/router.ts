import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { DataSource } from 'typeorm';
import type { TriggerRun } from '../admin/sync-routes';
import { ConsoleSessions, DEFAULT_SESSION_LIMITS } from '../auth/console-sessions';
import type { ConsoleConfig, GovernanceConfig, SyncConfig } from '../config';
import type { HttpState } from '../http/state';
import { requireCsrf } from './csrf';
import { OidcRelyingParty } from './oidc';
import { registerConsolePages } from './pages';
import { securityHeaders } from './security-headers';
import { loadSession, requireSession } from './session-middleware';
import { registerSignInRoutes, registerSignOutRoute } from './sign-in';

export const CONSOLE_PREFIX = '/admin';
/** The JSON API under the console's prefix: never the console's (bearer tokens, problem+json). */
const API_PREFIX = '/admin/api';

export interface ConsoleOptions {
  readonly dataSource: DataSource;
  /** The console's own origin and the base of the OIDC redirect URI (PUBLIC_URL, else the listening address). */
  readonly publicUrl: string;
  readonly console?: ConsoleConfig;
  readonly governance: GovernanceConfig;
  readonly maxBodyBytes: number;
  readonly triggerRun?: TriggerRun;
  readonly sync?: SyncConfig;
  /** The sessions' clock; tests move it. */
  readonly now?: () => Date;
}

/**
 * True for the paths the console answers: /admin and below, but not the JSON API (/admin/api and
 * below), compared without regard to case as the routers match. Whatever the console does not
 * take goes on to the bearer edge, so every spelling of /admin/api stays behind it.
 */
export function isConsolePath(path: string): boolean {
  const lower = path.toLowerCase();
  const under = (prefix: string) => lower === prefix || lower.startsWith(`${prefix}/`);
  return under(CONSOLE_PREFIX) && !under(API_PREFIX);
}

/**
 * The web console's signed-in routes under /admin: sign-out and the pages (src/console/pages). The
 * edge (consoleEdge) runs them only for a live session and only after the CSRF check of a
 * state-changing request, so no route here checks either itself; each page checks permissions.
 */
export function consoleRouter(options: ConsoleOptions, sessions: ConsoleSessions = sessionsOf(options)): Router<HttpState> {
  const router = new Router<HttpState>({ prefix: CONSOLE_PREFIX });
  registerSignOutRoute(router, { sessions, publicUrl: options.publicUrl });
  registerConsolePages(router, {
    dataSource: options.dataSource, governance: options.governance,
    ...(options.triggerRun ? { triggerRun: options.triggerRun } : {}), ...(options.sync ? { sync: options.sync } : {}),
  });
  return router;
}

/**
 * The console as the app mounts it, in front of the bearer edge. For a console path: the security
 * headers; the session the cookie names, if any; the public routes (sign-in, the OIDC callback,
 * GET /admin/session); then, for every other path, a live session (else 303 to the sign-in page,
 * so a signed-out browser learns nothing of the pages), the CSRF check of every state-changing
 * request, and the signed-in routes. A path nothing answers is a 404 page, rendered by the app's
 * error renderer with the console's face. Any other path goes on untouched.
 */
export function consoleEdge(options: ConsoleOptions): Middleware {
  const sessions = sessionsOf(options);
  const oidc = options.console?.oidc ? new OidcRelyingParty(options.console.oidc, options.publicUrl) : undefined;
  const origins = consoleOrigins(options.publicUrl);
  const publicRoutes = new Router<HttpState>({ prefix: CONSOLE_PREFIX });
  registerSignInRoutes(publicRoutes, {
    dataSource: options.dataSource, sessions, publicUrl: options.publicUrl, maxBodyBytes: options.maxBodyBytes, origins,
    ...(oidc ? { oidc } : {}),
  });
  const pages = consoleRouter(options, sessions);
  const chain: Middleware[] = [
    securityHeaders({ oidcOrigins: oidc ? [oidc.issuerOrigin] : [] }),
    loadSession(sessions, options.publicUrl),
    publicRoutes.routes() as unknown as Middleware,
    requireSession(),
    requireCsrf({ origins, maxBodyBytes: options.maxBodyBytes }),
    pages.routes() as unknown as Middleware,
    pages.allowedMethods() as unknown as Middleware,
    publicRoutes.allowedMethods() as unknown as Middleware,
  ];
  const run = (ctx: Context, index: number): Promise<void> => {
    const middleware = chain[index];
    return middleware ? Promise.resolve(middleware(ctx, () => run(ctx, index + 1))).then(() => undefined) : Promise.resolve();
  };
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!isConsolePath(ctx.path)) return next();
    await run(ctx, 0);
  };
}

function sessionsOf(options: ConsoleOptions): ConsoleSessions {
  const limits = options.console
    ? { idleMinutes: options.console.sessionIdleMinutes, absoluteHours: options.console.sessionHours }
    : DEFAULT_SESSION_LIMITS;
  return new ConsoleSessions(options.dataSource, limits, options.now);
}

/**
 * The origins console forms come from: the public URL's, and the address scimd was reached at.
 * (Built from protocol and Host: Koa 3's `ctx.origin` is the request's Origin header, not ours.)
 */
function consoleOrigins(publicUrl: string): (ctx: Context) => readonly string[] {
  const published = new URL(publicUrl).origin;
  return (ctx) => [published, `${ctx.protocol}://${ctx.host}`];
}
