import Koa, { type Middleware } from 'koa';
import type { DataSource } from 'typeorm';
import { problemFace } from './admin/problem';
import { ADMIN_PREFIX, adminRouter } from './admin/router';
import type { TriggerRun } from './admin/sync-routes';
import { cachedAuthenticator } from './auth/principal-cache';
import { DEFAULT_PRINCIPAL_CACHE_MS, type Config } from './config';
import { consoleEdge, CONSOLE_PREFIX } from './console/router';
import { consoleFace } from './console/error-page';
import { databaseOutage, outagesAsUnavailable } from './http/database-outage';
import { renderErrors } from './http/errors';
import { requestDeadline } from './http/request-deadline';
import { faceByPrefix } from './http/faces';
import { limitFailedAuthenticationPerAddress } from './http/address-limit';
import { HEALTH_PATHS, healthRouter, type Lifecycle } from './http/health';
import { authenticateBearer } from './http/principal';
import { requestLog } from './http/request-log';
import { scimFace } from './http/scim-face';
import { SCIM_PREFIX, scimRouter } from './http/scim-router';
import { onlyUnder } from './http/path-gate';
import { limitRequestsPerToken } from './http/token-limit';
import { RoleDirectory } from './identity/roles';
import { UserDirectory } from './identity/users';
import { OutageLog } from './db/outage-log';
import type { Logger } from './logger';
import { AppMetrics } from './metrics/app-metrics';
import { httpMetrics } from './metrics/http-metrics';
import { METRICS_PATH, metricsRouter } from './metrics/metrics-route';
import { backgroundSyncTrigger } from './sync-trigger';

export interface AppDependencies {
  readonly config: Pick<Config, 'maxBodyBytes' | 'sync' | 'governance' | 'console' | 'rateLimit' | 'principalCacheMs'> & { readonly publicUrl: string };
  /** The console sessions' clock (tests move it); the system clock by default. */
  readonly now?: () => Date;
  readonly dataSource: DataSource;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** Starts sync runs for POST /admin/api/sync/runs; by default a background run of the configured sync. */
  readonly triggerRun?: TriggerRun;
  /** The app's metrics (the server shares them with its METRICS_PORT listener); by default its own. */
  readonly metrics?: AppMetrics;
}

/**
 * The composition root of the HTTP faces. One edge in front of both: request id and log line,
 * error rendering (SCIM error bodies, or problem details under /admin/api), then bearer
 * authentication for everything but the public health routes and the web console (which has its
 * own sessions) — mounted before the routers, so that every spelling of a path the
 * case-insensitive routers accept is authenticated — then the admin API and SCIM.
 */
export function createApp({ config, dataSource, logger, lifecycle, triggerRun, now, metrics }: AppDependencies): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  const scim = scimRouter({
    services: { users: outagesAsUnavailable(new UserDirectory(dataSource)), roles: outagesAsUnavailable(new RoleDirectory(dataSource)) },
    publicUrl: config.publicUrl,
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });
  const trigger = triggerRun ?? (config.sync ? backgroundSyncTrigger(dataSource, config.sync, logger) : undefined);
  const admin = adminRouter({
    dataSource, maxBodyBytes: config.maxBodyBytes, governance: config.governance, ...(trigger ? { triggerRun: trigger } : {}),
  });
  const health = healthRouter(dataSource, lifecycle);
  const consoleMount = consoleEdge({
    dataSource, publicUrl: config.publicUrl, governance: config.governance, maxBodyBytes: config.maxBodyBytes,
    ...(config.console ? { console: config.console } : {}), ...(trigger ? { triggerRun: trigger } : {}),
    ...(config.sync ? { sync: config.sync } : {}), ...(now ? { now } : {}),
  });
  const measured = metrics ?? new AppMetrics(dataSource);
  const metricsRoutes = metricsRouter(measured);
  app.use(httpMetrics(measured, [health, admin, scim, metricsRoutes]));
  app.use(requestLog(logger));
  // While draining, answer with Connection: close so keep-alive clients let go now, not at their timeout.
  app.use(async (ctx, next) => {
    await next();
    if (lifecycle.shuttingDown) ctx.set('Connection', 'close');
  });
  app.use(renderErrors({
    logger,
    faceOf: faceByPrefix([
      { prefix: ADMIN_PREFIX, face: problemFace }, { prefix: CONSOLE_PREFIX, face: consoleFace }, { prefix: METRICS_PATH, face: problemFace },
    ], scimFace),
  }));
  app.use(databaseOutage(new OutageLog(logger, 'http'))); // 503 + Retry-After, never 500, while the database is down
  app.use(requestDeadline({ logger })); // nor a hang on a database that vanished without closing its connections
  app.use(onlyUnder(HEALTH_PATHS, health.routes() as Middleware)); // public: load balancers probe without a token
  app.use(limitFailedAuthenticationPerAddress(config.rateLimit)); // never limits the health routes above
  // The web console signs persons in with its own sessions (cookies), so it comes before the bearer
  // edge; it takes /admin and below but never /admin/api (any spelling), which goes on to the edge.
  app.use(consoleMount);
  app.use(authenticateBearer(cachedAuthenticator(dataSource, config.principalCacheMs ?? DEFAULT_PRINCIPAL_CACHE_MS)));
  app.use(limitRequestsPerToken(config.rateLimit?.perToken));
  // Each router is asked only about paths under its prefix (path-gate.ts): no other can match.
  app.use(onlyUnder([METRICS_PATH], metricsRoutes.routes() as Middleware));
  app.use(onlyUnder([ADMIN_PREFIX], admin.routes() as Middleware));
  app.use(onlyUnder([SCIM_PREFIX], scim.routes() as Middleware));
  // Set 405/501 with the Allow header, for routes of either router (ctx.matched collects both);
  // renderErrors gives those responses the body of the path's face.
  app.use(admin.allowedMethods());
  app.use(scim.allowedMethods());
  app.use(metricsRoutes.allowedMethods());
  return app;
}
