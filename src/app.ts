import Koa from 'koa';
import type { DataSource } from 'typeorm';
import { ScimError } from '../scim/errors';
import { ServiceAccounts } from './auth/service-accounts';
import type { Config } from './config';
import { errorRenderer } from './http/errors';
import { healthRouter, type Lifecycle } from './http/health';
import { requestLog } from './http/request-log';
import { scimRouter } from './http/scim-router';
import { RoleDirectory } from './identity/roles';
import { UserDirectory } from './identity/users';
import type { Logger } from './logger';

export interface AppDependencies {
  readonly config: Pick<Config, 'maxBodyBytes'> & { readonly publicUrl: string };
  readonly dataSource: DataSource;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
}

/** The composition root of the HTTP faces: health, then SCIM. */
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
  app.use(errorRenderer(logger));
  app.use(health.routes());
  app.use(scim.routes());
  app.use(scim.allowedMethods({
    throw: true,
    methodNotAllowed: () => new ScimError(405, undefined, 'This method is not allowed on this resource'),
    notImplemented: () => new ScimError(501, undefined, 'This method is not implemented'),
  }));
  return app;
}
