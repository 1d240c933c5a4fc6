import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { requestSyncRelease } from '../governance/sync-release';
import { SYNC_ENTRY_ACTIONS, SYNC_MODES, SyncRuns, type SyncEntryAction, type SyncMode } from '../governance/sync-runs';
import { contextOf } from '../auth/principal';
import type { ChangeContext } from '../identity/change-context';
import { HttpError } from '../http/http-error';
import { readJsonObject, type JsonBodyRules } from '../http/json-body';
import { requirePrincipal } from '../http/principal';
import type { HttpState } from '../http/state';
import { requirePermission } from './auth';
import { paging, queryParameter } from './paging';

export interface TriggerRunOptions {
  readonly mode?: SyncMode;
  readonly dryRun?: boolean;
  /** Through the delete threshold: only on a second person's approval (a released blocked run). */
  readonly allowDeletes?: boolean;
  /** Who asked, through the admin door: the run's actor. */
  readonly context?: ChangeContext;
}

/** Starts a sync run (the runner decides full or delta when `mode` is absent) and resolves once it is recorded. */
export type TriggerRun = (options: TriggerRunOptions) => Promise<{ runId: string }>;

export interface SyncRoutesOptions {
  readonly dataSource: DataSource;
  /** Absent while the directory sync is not configured (no LDAP_URL): POST answers 409. */
  readonly triggerRun?: TriggerRun;
  readonly maxBodyBytes: number;
  /** How long a request to release a blocked run waits for approval. */
  readonly approvalExpiryDays: number;
}

/**
 * GET  /sync/runs                      sync:read   runs, newest first (?page=&pageSize=)
 * GET  /sync/runs/:id                  sync:read   one run with its counters
 * GET  /sync/runs/:id/entries          sync:read   its entries (?action=error,skip&q=&page=&pageSize=); q: the DN
 *                                                  contains it, the objectGUID is it, or the user's userName starts with it
 * GET  /sync/runs/:id/errors           sync:read   its error entries grouped by message, most frequent first (?page=&pageSize=)
 * POST /sync/runs                      sync:run    start a run: {"mode"?: "full"|"delta", "dryRun"?: boolean}
 * POST /sync/runs/:id/release          sync:run    ask to let a blocked run's deletes through: 202 with the
 *                                                  change request; a second person's approval starts the run
 */
export function registerSyncRoutes(router: Router<HttpState>, options: SyncRoutesOptions): void {
  const runs = new SyncRuns(options.dataSource);
  // The body of POST /sync/runs is optional: no body starts a run with the defaults.
  const bodyRules: JsonBodyRules = { limitBytes: options.maxBodyBytes, mediaTypes: ['application/json'], whenEmpty: 'empty object' };

  router.get('/sync/runs', requirePermission('sync:read'), async (ctx: Context) => {
    const { page, pageSize } = paging(ctx);
    const result = await runs.list({ limit: pageSize, offset: (page - 1) * pageSize });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });

  router.get('/sync/runs/:id', requirePermission('sync:read'), async (ctx: Context) => {
    ctx.body = await runs.get(String(ctx.params.id));
  });

  router.get('/sync/runs/:id/entries', requirePermission('sync:read'), async (ctx: Context) => {
    const { page, pageSize } = paging(ctx);
    const actions = actionFilter(ctx);
    const search = queryParameter(ctx, 'q');
    const result = await runs.entries(String(ctx.params.id), {
      ...(actions ? { action: actions } : {}), ...(search ? { search } : {}), page, pageSize,
    });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });

  router.get('/sync/runs/:id/errors', requirePermission('sync:read'), async (ctx: Context) => {
    const { page, pageSize } = paging(ctx);
    const result = await runs.errorGroups(String(ctx.params.id), { limit: pageSize, offset: (page - 1) * pageSize });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });

  router.post('/sync/runs', requirePermission('sync:run'), async (ctx: Context) => {
    if (!options.triggerRun) {
      throw new HttpError(409, 'The Active Directory sync is not configured on this server (set LDAP_URL and the other LDAP_* variables)');
    }
    const body = await readJsonObject(ctx, bodyRules);
    const unknown = Object.keys(body).filter((key) => key !== 'mode' && key !== 'dryRun');
    if (unknown.length > 0) throw new HttpError(400, `Unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; expected mode and dryRun`);
    if (body.mode !== undefined && !(SYNC_MODES as readonly unknown[]).includes(body.mode)) {
      throw new HttpError(400, `mode must be one of ${SYNC_MODES.join(', ')}`);
    }
    if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw new HttpError(400, 'dryRun must be true or false');
    const principal = requirePrincipal(ctx);
    const { runId } = await options.triggerRun({
      ...(body.mode !== undefined ? { mode: body.mode as SyncMode } : {}),
      ...(body.dryRun !== undefined ? { dryRun: body.dryRun } : {}),
      context: contextOf(principal, 'admin', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined),
    });
    ctx.status = 202;
    ctx.set('Location', `${ctx.path.replace(/\/+$/, '')}/${encodeURIComponent(runId)}`);
    ctx.body = { runId };
  });

  router.post('/sync/runs/:id/release', requirePermission('sync:run'), async (ctx: Context) => {
    if (!options.triggerRun) {
      throw new HttpError(409, 'The Active Directory sync is not configured on this server (set LDAP_URL and the other LDAP_* variables)');
    }
    const context = contextOf(requirePrincipal(ctx), 'admin', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined);
    const changeRequest = await requestSyncRelease(options.dataSource, context, String(ctx.params.id), { expiryDays: options.approvalExpiryDays });
    ctx.status = 202;
    ctx.set('Location', `/admin/api/change-requests/${changeRequest.id}`);
    ctx.body = { status: 'pending', changeRequest };
  });
}

/** `?action=error` or `?action=error,skip` (or the parameter repeated). */
function actionFilter(ctx: Context): SyncEntryAction[] | undefined {
  const value = ctx.query.action;
  const raw = (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((item) => item.split(','))
    .map((item) => item.trim()).filter((item) => item !== '');
  if (raw.length === 0) return undefined;
  const unknown = raw.filter((item) => !(SYNC_ENTRY_ACTIONS as readonly string[]).includes(item));
  if (unknown.length > 0) {
    throw new HttpError(400, `Unknown action ${unknown.map((item) => `"${item}"`).join(', ')}; one of ${SYNC_ENTRY_ACTIONS.join(', ')}`);
  }
  return raw as SyncEntryAction[];
}
