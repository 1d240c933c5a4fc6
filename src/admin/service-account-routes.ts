import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { contextOf } from '../auth/principal';
import { ServiceAccountRequests } from '../auth/service-account-requests';
import { ServiceAccounts } from '../auth/service-accounts';
import type { GovernanceConfig } from '../config';
import type { ChangeRequestView } from '../governance/change-request-store';
import { HttpError } from '../http/http-error';
import { readJsonObject, type JsonBodyRules } from '../http/json-body';
import { requirePrincipal } from '../http/principal';
import type { HttpState } from '../http/state';
import type { ChangeContext } from '../identity/change-context';
import { requirePermission } from './auth';
import { paging } from './paging';

export interface ServiceAccountRoutesOptions {
  readonly dataSource: DataSource;
  readonly governance: GovernanceConfig;
  readonly maxBodyBytes: number;
}

/** Roles per account: an integration's roles, not a bulk import. */
const MAX_ROLES = 100;
/** Token lifetimes in whole days, as `scimd token create --expires DAYS` takes them. */
const MAX_EXPIRY_DAYS = 3650;
const DAY_MS = 86_400_000;
const PENDING_NOTE = 'The token is shown only now. It works once a second person holding approvals:decide approves the change '
  + 'request; if the request is rejected or expires, it never works.';

/**
 * GET  /service-accounts                              service-accounts:read    by name (?page=&pageSize=), tokens without secrets
 * GET  /service-accounts/:id                          service-accounts:read
 * POST /service-accounts                              service-accounts:write   {"name", "roles": [names or ids], "description"?,
 *                                                      "expiresInDays"?} → 201 {account, token}, or 202 {status: pending,
 *                                                      changeRequest, accountId, tokenId, token, note} when governed
 * POST /service-accounts/:id/tokens                   service-accounts:write   {"expiresInDays"?} → 201 {id, token}, or 202
 *                                                      {status: pending, changeRequest, id, token, note}
 * POST /service-accounts/:id/tokens/:tokenId/revoke   service-accounts:write   → 200 the revoked token; never governed
 * A token is in the body of its 201 or 202 once and nowhere else (Cache-Control: no-store).
 */
export function registerServiceAccountRoutes(router: Router<HttpState>, options: ServiceAccountRoutesOptions): void {
  const accounts = new ServiceAccounts(options.dataSource);
  const requests = new ServiceAccountRequests(options.dataSource, options.governance);
  const bodyRules: JsonBodyRules = { limitBytes: options.maxBodyBytes, mediaTypes: ['application/json'], whenEmpty: 'refuse' };

  router.get('/service-accounts', requirePermission('service-accounts:read'), async (ctx: Context) => {
    const { page, pageSize } = paging(ctx);
    const result = await accounts.page({ limit: pageSize, offset: (page - 1) * pageSize });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });

  router.get('/service-accounts/:id', requirePermission('service-accounts:read'), async (ctx: Context) => {
    ctx.body = await accounts.get(String(ctx.params.id));
  });

  router.post('/service-accounts', requirePermission('service-accounts:write'), async (ctx: Context) => {
    const body = fields(await readJsonObject(ctx, bodyRules), ['name', 'roles', 'description', 'expiresInDays']);
    if (typeof body.name !== 'string') throw new HttpError(400, 'name is required, a string');
    if (!Array.isArray(body.roles) || body.roles.length === 0 || !body.roles.every((role) => typeof role === 'string')) {
      throw new HttpError(400, 'roles is required: a non-empty array of role names or ids');
    }
    if (body.roles.length > MAX_ROLES) throw new HttpError(400, `roles names more than ${MAX_ROLES} roles`);
    if (body.description !== undefined && typeof body.description !== 'string') throw new HttpError(400, 'description must be a string');
    const expiresAt = expiryOf(body.expiresInDays);
    const outcome = await requests.create(changeContext(ctx), {
      name: body.name, roleNames: body.roles as string[],
      ...(body.description === undefined ? {} : { description: body.description }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
    ctx.set('Cache-Control', 'no-store');
    if (outcome.status === 'pending') {
      pending(ctx, outcome.changeRequest, { accountId: outcome.accountId, tokenId: outcome.tokenId, token: outcome.token });
      return;
    }
    ctx.status = 201;
    ctx.set('Location', `/admin/api/service-accounts/${encodeURIComponent(outcome.account.id)}`);
    ctx.body = { account: outcome.account, token: outcome.token };
  });

  router.post('/service-accounts/:id/tokens', requirePermission('service-accounts:write'), async (ctx: Context) => {
    const body = fields(await readJsonObject(ctx, { ...bodyRules, whenEmpty: 'empty object' }), ['expiresInDays']);
    const outcome = await requests.createToken(changeContext(ctx), String(ctx.params.id), expiryOf(body.expiresInDays));
    ctx.set('Cache-Control', 'no-store');
    if (outcome.status === 'pending') {
      pending(ctx, outcome.changeRequest, { id: outcome.id, token: outcome.token });
      return;
    }
    ctx.status = 201;
    ctx.body = { id: outcome.id, token: outcome.token };
  });

  router.post('/service-accounts/:id/tokens/:tokenId/revoke', requirePermission('service-accounts:write'), async (ctx: Context) => {
    fields(await readJsonObject(ctx, { ...bodyRules, whenEmpty: 'empty object' }), []);
    const account = await accounts.get(String(ctx.params.id));
    ctx.body = await accounts.revokeToken(changeContext(ctx), String(ctx.params.tokenId), { accountId: account.id });
  });
}

function changeContext(ctx: Context): ChangeContext {
  return contextOf(requirePrincipal(ctx), 'admin', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined);
}

/** 202 with the change request's Location: the token is the requester's, shown once, working once approved. */
function pending(ctx: Context, changeRequest: ChangeRequestView, issued: Record<string, string>): void {
  ctx.status = 202;
  ctx.set('Location', `/admin/api/change-requests/${changeRequest.id}`);
  ctx.body = { status: 'pending', changeRequest, ...issued, note: PENDING_NOTE };
}

/** A field outside `allowed` is refused rather than ignored: a misspelt `expiresInDay` would otherwise mint a token that never expires. */
function fields(body: Record<string, unknown>, allowed: readonly string[]): Record<string, unknown> {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new HttpError(400, `Unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; `
      + `${allowed.length > 0 ? `expected ${allowed.join(', ')}` : 'expected none'}`);
  }
  return body;
}

/** `expiresInDays`: a whole number of days from 1 to 3650, from now; absent, the token does not expire. */
function expiryOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_EXPIRY_DAYS) {
    throw new HttpError(400, `expiresInDays must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
  }
  return new Date(Date.now() + value * DAY_MS).toISOString();
}
