import Koa from 'koa';
import type { DataSource } from 'typeorm';
import { adminApi } from './admin/router';
import { ServiceAccounts } from './auth/service-accounts';
import type { Config } from './config';
import { errorRenderer } from './http/errors';
import { healthRouter, type Lifecycle } from './http/health';
import { requestLog } from './http/request-log';
import { scimRouter } from './http/scim-router';
import { RoleDirectory } from './identity/roles';
import { UserDirectory } from './identity/users';
import type { Logger } from './logger';
import { backgroundSyncTrigger } from './sync-trigger';

export interface AppDependencies {
  readonly config: Pick<Config, 'maxBodyBytes' | 'sync'> & { readonly publicUrl: string };
  readonly dataSource: DataSource;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
}

/** The composition root of the HTTP faces: health, the admin API, then SCIM. */
export function createApp({ config, dataSource, logger, lifecycle }: AppDependencies): Koa {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  const scim = scimRouter({
    services: { users: new UserDirectory(dataSource), roles: new RoleDirectory(dataSource) },
    accounts: new ServiceAccounts(dataSource),
    publicUrl: config.publicUrl,
    maxBodyBytes: config.maxBodyBytes,
  });
  const health = healthRouter(dataSource, lifecycle);
  app.use(requestLog(logger));
  // While draining, answer with Connection: close so keep-alive clients let go now, not at their timeout.
  app.use(async (ctx, next) => {
    await next();
    if (lifecycle.shuttingDown) ctx.set('Connection', 'close');
  });
  app.use(errorRenderer(logger));
  app.use(health.routes());
  app.use(adminApi({ // /admin/api: JSON, problem+json errors
    dataSource, logger, maxBodyBytes: config.maxBodyBytes,
    ...(config.sync ? { triggerRun: backgroundSyncTrigger(dataSource, config.sync, logger) } : {}),
  }));
  app.use(scim.routes());
  // Sets 405/501 with the Allow header; errorRenderer gives those responses their SCIM body.
  app.use(scim.allowedMethods());
  return app;
}
