import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { contextOf, may } from '../auth/principal';
import type { Permission } from '../auth/permissions';
import { CHANGE_REQUEST_STATUSES } from '../governance/change-request-store';
import { isChangeRequestStatus, type ChangeRequests } from '../governance/change-requests';
import { HttpError } from '../http/http-error';
import { readJsonObject, type JsonBodyRules } from '../http/json-body';
import { requirePrincipal } from '../http/principal';
import type { HttpState } from '../http/state';
import { requirePermission } from './auth';
import { paging } from './paging';

/** Who may read change requests: those who decide them, ask for them, or audit. */
const READERS: readonly Permission[] = ['approvals:decide', 'roles:manage', 'roles:assign', 'audit:read'];

/**
 * GET  /change-requests                ?status=pending&page=&pageSize=   newest first
 * GET  /change-requests/:id
 * POST /change-requests/:id/approve    approvals:decide   {"comment"?: "..."} — applies it
 * POST /change-requests/:id/reject     approvals:decide   {"comment"?: "..."}
 */
export function registerChangeRequestRoutes(
  router: Router<HttpState>, options: { changeRequests: ChangeRequests; maxBodyBytes: number },
): void {
  const requests = options.changeRequests;
  const bodyRules: JsonBodyRules = { limitBytes: options.maxBodyBytes, mediaTypes: ['application/json'], whenEmpty: 'empty object' };

  router.get('/change-requests', requireAnyOf(READERS), async (ctx: Context) => {
    const { page, pageSize } = paging(ctx);
    const status = typeof ctx.query.status === 'string' && ctx.query.status !== '' ? ctx.query.status : undefined;
    if (status !== undefined && !isChangeRequestStatus(status)) {
      throw new HttpError(400, `status must be one of ${CHANGE_REQUEST_STATUSES.join(', ')}`);
    }
    const result = await requests.list({ ...(status ? { status } : {}), limit: pageSize, offset: (page - 1) * pageSize });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });

  router.get('/change-requests/:id', requireAnyOf(READERS), async (ctx: Context) => {
    ctx.body = await requests.get(String(ctx.params.id));
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/change-requests/:id/${decision}`, requirePermission('approvals:decide'), async (ctx: Context) => {
      const body = await readJsonObject(ctx, bodyRules);
      const unknown = Object.keys(body).filter((key) => key !== 'comment');
      if (unknown.length > 0) throw new HttpError(400, `Unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; expected comment`);
      if (body.comment !== undefined && typeof body.comment !== 'string') throw new HttpError(400, 'comment must be a string');
      const context = contextOf(requirePrincipal(ctx), 'admin', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined);
      const id = String(ctx.params.id);
      ctx.body = decision === 'approve' ? await requests.approve(context, id, body.comment) : await requests.reject(context, id, body.comment);
    });
  }
}

function requireAnyOf(permissions: readonly Permission[]) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const principal = requirePrincipal(ctx);
    if (!permissions.some((permission) => may(principal, permission))) {
      throw new HttpError(403, `This needs one of the permissions ${permissions.join(', ')}, which the roles of ${principal.name} do not grant`);
    }
    await next();
  };
}
