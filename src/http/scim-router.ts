import Router from '@koa/router';
import type { Context } from 'koa';
import { ScimError } from '../../scim/errors';
import * as bulk from '../../scim/endpoints/bulk';
import type { ScimRequest, ScimResponse, ScimServices } from '../../scim/endpoints/context';
import * as discovery from '../../scim/endpoints/discovery';
import * as groups from '../../scim/endpoints/groups';
import * as search from '../../scim/endpoints/search';
import * as users from '../../scim/endpoints/users';
import { readJsonObject, type JsonBodyRules } from './json-body';
import { requirePrincipal } from './principal';
import { SCIM_CONTENT_TYPE } from './scim-face';
import type { HttpState } from './state';
import { describeError } from '../log-error';
import type { Logger } from '../logger';

export const SCIM_PREFIX = '/scim/v2';

/** RFC 7644 §3.1 media type; plain JSON is accepted too, as Okta and others send it. */
const SCIM_MEDIA_TYPES = ['application/scim+json', 'application/json'];

type Endpoint = (services: ScimServices, request: ScimRequest) => Promise<ScimResponse> | ScimResponse;

export interface ScimRouterOptions {
  readonly services: ScimServices;
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  /** Where errors an endpoint answered itself (a Bulk operation's 500) are logged. */
  readonly logger?: Logger;
}

/**
 * Binds the protocol endpoints of scim/ to Koa: the principal, body parsing, headers. Nothing else:
 * authentication and error bodies belong to the edge (src/app.ts), which runs them for every
 * spelling of a path the router matches.
 */
export function scimRouter(options: ScimRouterOptions): Router<HttpState> {
  const router = new Router<HttpState>({ prefix: SCIM_PREFIX });
  const baseUrl = `${options.publicUrl}${SCIM_PREFIX}`;
  const bodyRules: JsonBodyRules = { limitBytes: options.maxBodyBytes, mediaTypes: SCIM_MEDIA_TYPES, whenEmpty: 'refuse' };

  const bind = (endpoint: Endpoint) => async (ctx: Context) => {
    const request: ScimRequest = {
      params: ctx.params as Record<string, string>,
      query: singleValued(ctx.query),
      readBody: () => readJsonObject(ctx, bodyRules),
      ...(ctx.get('If-Match') ? { ifMatch: ctx.get('If-Match') } : {}),
      ...(ctx.get('If-None-Match') ? { ifNoneMatch: ctx.get('If-None-Match') } : {}),
      principal: requirePrincipal(ctx),
      requestId: ctx.state.requestId as string,
      baseUrl,
      ...(options.logger ? { reportUnexpected: reportTo(options.logger, ctx.state.requestId as string) } : {}),
    };
    const response = await endpoint(options.services, request);
    ctx.status = response.status;
    for (const [name, value] of Object.entries(response.headers ?? {})) ctx.set(name, value);
    if (response.body !== undefined) {
      // The header first: Koa then sends the body as JSON without deriving a type of its own, and
      // the full media type is set as written, with no MIME database lookup per response.
      ctx.set('Content-Type', SCIM_CONTENT_TYPE);
      ctx.body = response.body;
    }
  };
  const fixed = (endpoint: (request: ScimRequest) => ScimResponse): Endpoint => (_services, request) => endpoint(request);

  router.get('/ServiceProviderConfig', bind(fixed(discovery.serviceProviderConfig)));
  router.get('/Schemas', bind(fixed(discovery.listSchemas)));
  router.get('/Schemas/:id', bind(fixed(discovery.getSchema)));
  router.get('/ResourceTypes', bind(fixed(discovery.listResourceTypes)));
  router.get('/ResourceTypes/:id', bind(fixed(discovery.getResourceType)));

  router.post('/.search', bind(search.searchAll));
  router.get('/Users', bind(users.listUsers));
  router.post('/Users/.search', bind(search.searchUsers));
  router.post('/Users', bind(users.createUser));
  router.get('/Users/:id', bind(users.getUser));
  router.put('/Users/:id', bind(users.replaceUser));
  router.patch('/Users/:id', bind(users.patchUser));
  router.delete('/Users/:id', bind(users.deleteUser));

  router.get('/Groups', bind(groups.listGroups));
  router.post('/Groups/.search', bind(search.searchGroups));
  router.post('/Groups', bind(groups.createGroup));
  router.get('/Groups/:id', bind(groups.getGroup));
  router.put('/Groups/:id', bind(groups.replaceGroup));
  router.patch('/Groups/:id', bind(groups.patchGroup));
  router.delete('/Groups/:id', bind(groups.deleteGroup));

  router.post('/Bulk', bind(bulk.bulk));

  // RFC 7644 §3.11: /Me is the User resource of the authenticated subject. A person (a User with a
  // personal access token) has one, read as GET /Users/{id} is (users:read); a service account has
  // none. Changing oneself through /Me is not supported (501).
  router.get('/Me', bind(async (services, request) => {
    const { principal } = request;
    if (principal.kind !== 'person') {
      throw new ScimError(501, undefined, '/Me is only for persons (personal access tokens): a service account is not a User');
    }
    const response = await users.getUser(services, { ...request, params: { id: principal.id } });
    // The aliased resource's permanent location, as meta.location gives it.
    return { ...response, headers: { ...response.headers, Location: `${request.baseUrl}/Users/${principal.id}` } };
  }));
  router.all('/Me', () => {
    throw new ScimError(501, undefined, 'Only GET /Me is supported: change a User through /Users/{id}');
  });
  return router;
}

/** Koa gives repeated query parameters as arrays; SCIM defines each parameter once, so the first wins. */
function singleValued(query: Context['query']): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query)) result[key] = Array.isArray(value) ? value[0] : value;
  return result;
}

function reportTo(logger: Logger, requestId: string): (error: unknown) => void {
  return (error) => logger.error({ err: describeError(error), requestId }, 'bulk operation failed');
}
