import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { contextOf } from '../auth/principal';
import type { GovernanceConfig } from '../config';
import { HttpError } from '../http/http-error';
import { readJsonObject, type JsonBodyRules } from '../http/json-body';
import { requirePrincipal } from '../http/principal';
import type { HttpState } from '../http/state';
import { RoleAssignments } from '../identity/role-assignments';
import { requirePermission } from './auth';

export interface AssignmentRoutesOptions {
  readonly dataSource: DataSource;
  readonly governance: GovernanceConfig;
  readonly maxBodyBytes: number;
}

/** Roles per request: an edit of one user, not a bulk import. */
const MAX_ROLES_PER_EDIT = 100;

/**
 * GET  /users/:id/roles   groups:read    the user's roles, each with the door that granted it
 * POST /users/:id/roles   roles:assign   {"add": [...], "remove": [...]} (role ids or names) →
 *                                        200 applied, or 202 with the change request awaiting approval
 */
export function registerAssignmentRoutes(router: Router<HttpState>, options: AssignmentRoutesOptions): void {
  const assignments = new RoleAssignments(options.dataSource, options.governance);
  const bodyRules: JsonBodyRules = { limitBytes: options.maxBodyBytes, mediaTypes: ['application/json'], whenEmpty: 'refuse' };

  router.get('/users/:id/roles', requirePermission('groups:read'), async (ctx: Context) => {
    ctx.body = { userId: String(ctx.params.id), roles: await assignments.rolesOf(String(ctx.params.id)) };
  });

  router.post('/users/:id/roles', requirePermission('roles:assign'), async (ctx: Context) => {
    const body = await readJsonObject(ctx, bodyRules);
    const unknown = Object.keys(body).filter((key) => key !== 'add' && key !== 'remove');
    if (unknown.length > 0) throw new HttpError(400, `Unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; expected add and remove`);
    const add = roleList(body.add, 'add');
    const remove = roleList(body.remove, 'remove');
    const context = contextOf(requirePrincipal(ctx), 'admin', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined);
    const outcome = await assignments.edit(context, String(ctx.params.id), { add, remove });
    if (outcome.status === 'pending') {
      ctx.status = 202;
      ctx.set('Location', `/admin/api/change-requests/${outcome.changeRequest.id}`);
      ctx.body = { status: 'pending', changeRequest: outcome.changeRequest };
      return;
    }
    ctx.body = outcome;
  });
}

function roleList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new HttpError(400, `${field} must be an array of role ids or names`);
  }
  if (value.length > MAX_ROLES_PER_EDIT) throw new HttpError(400, `${field} names more than ${MAX_ROLES_PER_EDIT} roles`);
  return value;
}
