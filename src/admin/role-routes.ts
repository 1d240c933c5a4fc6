import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { contextOf } from '../auth/principal';
import type { GovernanceConfig } from '../config';
import { HttpError } from '../http/http-error';
import { readJsonObject, type JsonBodyRules } from '../http/json-body';
import { requirePrincipal } from '../http/principal';
import type { HttpState } from '../http/state';
import type { ChangeContext } from '../identity/change-context';
import { RoleDefinitions, type RolePatch, type RoleView } from '../identity/role-definitions';
import type { RoleDefinition } from '../identity/role-model';
import { requirePermission } from './auth';
import { paging } from './paging';

export interface RoleRoutesOptions {
  readonly dataSource: DataSource;
  readonly governance: GovernanceConfig;
  readonly maxBodyBytes: number;
}

/** The fields a role's body may carry (POST and PATCH); anything else is a 400 naming it. */
const ROLE_FIELDS = ['name', 'description', 'permissions', 'risk', 'assignableTo', 'manages', 'managedRoles'] as const;

/**
 * GET    /roles             groups:read    roles by name, with holders counted (?page=&pageSize=)
 * GET    /roles/:id         groups:read    one role (ETag W/"<version>")
 * POST   /roles             roles:manage   a custom role → 201, Location
 * PATCH  /roles/:id         roles:manage   name and description → 200; what the role grants → 202 with the
 *                                           change request awaiting a second person (unless APPROVAL_MODE=none)
 * POST   /roles/:id/clone   roles:manage   {"name"?}: a custom copy, `<name> Copy` by default → 201
 * DELETE /roles/:id         roles:manage   a custom role → 204
 * PATCH and DELETE honour If-Match (W/"<version>"): 412 when the role changed.
 */
export function registerRoleRoutes(router: Router<HttpState>, options: RoleRoutesOptions): void {
  const roles = new RoleDefinitions(options.dataSource, options.governance);
  const bodyRules: JsonBodyRules = { limitBytes: options.maxBodyBytes, mediaTypes: ['application/json'], whenEmpty: 'refuse' };

  router.get('/roles', requirePermission('groups:read'), async (ctx: Context) => {
    const { page, pageSize } = paging(ctx);
    const result = await roles.list({ limit: pageSize, offset: (page - 1) * pageSize });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });

  router.get('/roles/:id', requirePermission('groups:read'), async (ctx: Context) => {
    respond(ctx, await roles.get(String(ctx.params.id)));
  });

  router.post('/roles', requirePermission('roles:manage'), async (ctx: Context) => {
    const body = roleBody(await readJsonObject(ctx, bodyRules), ROLE_FIELDS);
    if (body.name === undefined) throw new HttpError(400, 'name is required');
    const role = await roles.create(changeContext(ctx), { ...body, name: body.name });
    created(ctx, role);
  });

  router.patch('/roles/:id', requirePermission('roles:manage'), async (ctx: Context) => {
    const body = roleBody(await readJsonObject(ctx, bodyRules), ROLE_FIELDS);
    const version = ifMatch(ctx);
    const outcome = await roles.update(changeContext(ctx), String(ctx.params.id), body, version === undefined ? {} : { expectedVersion: version });
    if (outcome.status === 'pending') {
      ctx.status = 202;
      ctx.set('Location', `/admin/api/change-requests/${outcome.changeRequest.id}`);
      ctx.body = { status: 'pending', changeRequest: outcome.changeRequest };
      return;
    }
    respond(ctx, outcome.role);
  });

  router.post('/roles/:id/clone', requirePermission('roles:manage'), async (ctx: Context) => {
    const body = roleBody(await readJsonObject(ctx, { ...bodyRules, whenEmpty: 'empty object' }), ['name']);
    const role = await roles.clone(changeContext(ctx), String(ctx.params.id), body.name === undefined ? {} : { name: body.name });
    created(ctx, role);
  });

  router.delete('/roles/:id', requirePermission('roles:manage'), async (ctx: Context) => {
    const version = ifMatch(ctx);
    await roles.delete(changeContext(ctx), String(ctx.params.id), version === undefined ? {} : { expectedVersion: version });
    ctx.status = 204;
  });
}

function changeContext(ctx: Context): ChangeContext {
  return contextOf(requirePrincipal(ctx), 'admin', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined);
}

function respond(ctx: Context, role: RoleView): void {
  ctx.set('ETag', `W/"${role.version}"`);
  ctx.body = role;
}

function created(ctx: Context, role: RoleView): void {
  ctx.status = 201;
  ctx.set('Location', `/admin/api/roles/${encodeURIComponent(role.id)}`);
  respond(ctx, role);
}

/**
 * The body's fields, typed; values are checked by floor 2 (permission names against the catalogue,
 * names as role names read). A field outside `allowed` is refused rather than ignored: a misspelt
 * `permision` would otherwise look like a change that was made.
 */
function roleBody(body: Record<string, unknown>, allowed: readonly string[]): RolePatch {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new HttpError(400, `Unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; expected ${allowed.join(', ')}`);
  }
  const text = (field: string): string | undefined => {
    const value = body[field];
    if (value !== undefined && typeof value !== 'string') throw new HttpError(400, `${field} must be a string`);
    return value;
  };
  const list = (field: string): string[] | undefined => {
    const value = body[field];
    if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
      throw new HttpError(400, `${field} must be an array of strings`);
    }
    return value as string[] | undefined;
  };
  const name = text('name');
  const description = text('description');
  const permissions = list('permissions');
  const managedRoles = list('managedRoles');
  // Floor 2 refuses values outside each set with a 400 naming the set.
  const risk = text('risk') as RoleDefinition['risk'] | undefined;
  const assignableTo = text('assignableTo') as RoleDefinition['assignableTo'] | undefined;
  const manages = text('manages') as RoleDefinition['manages'] | undefined;
  return {
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
    ...(permissions === undefined ? {} : { permissions }),
    ...(managedRoles === undefined ? {} : { managedRoles }),
    ...(risk === undefined ? {} : { risk }),
    ...(assignableTo === undefined ? {} : { assignableTo }),
    ...(manages === undefined ? {} : { manages }),
  };
}

/** If-Match: W/"3" or "3" names version 3; absent or `*` names none; anything else is a 400. */
function ifMatch(ctx: Context): number | undefined {
  const header = ctx.get('If-Match').trim();
  if (header === '' || header === '*') return undefined;
  const match = /^(?:W\/)?"(\d{1,15})"$/.exec(header);
  if (!match?.[1]) throw new HttpError(400, `If-Match must name one version as W/"<version>", not ${header}`);
  return Number(match[1]);
}
