import type Router from '@koa/router';
import type { Context } from 'koa';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AuditLog, parseAuditTime, type AuditEventView, type AuditFilter } from '../governance/audit-log';
import { HttpError } from '../http/http-error';
import type { HttpState } from '../http/state';
import { requirePermission } from './auth';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
/** Longest accepted filter value: longer than any stored column it is compared with. */
const MAX_FILTER_LENGTH = 255;

const FILTERS = ['actor', 'targetType', 'targetId', 'target', 'action', 'from', 'to'] as const;
const PARAMETERS: readonly string[] = [...FILTERS, 'page', 'pageSize', 'format'];

/** The CSV export's columns, one per stored field. */
export const AUDIT_CSV_COLUMNS = [
  'id', 'seq', 'occurred_at', 'actor_type', 'actor_id', 'actor_name', 'door', 'action', 'target_type', 'target_id',
  'target_name', 'changes', 'request_id', 'prev_hash', 'hash',
] as const;

/**
 * GET /audit   audit:read   the audit log, newest first
 *   ?actor=         the actor's id or name          ?action=      user.create, or a prefix: role. (role.*)
 *   ?targetType=    User, Group, ServiceAccount …   ?targetId=    ?target=      the target's name
 *   ?from= ?to=     ISO 8601 (from inclusive, to exclusive)
 *   ?page= ?pageSize=   (as GET /sync/runs)
 *   ?format=csv or Accept: text/csv   every matching event as a CSV attachment (page and pageSize
 *                                     do not apply), streamed a page at a time
 */
export function registerAuditRoutes(router: Router<HttpState>, options: { dataSource: DataSource }): void {
  const log = new AuditLog(options.dataSource);

  router.get('/audit', requirePermission('audit:read'), async (ctx: Context) => {
    const unknown = Object.keys(ctx.query).filter((name) => !PARAMETERS.includes(name));
    if (unknown.length > 0) {
      throw new HttpError(400, `Unknown parameter(s) ${unknown.map((name) => `"${name}"`).join(', ')}; expected ${PARAMETERS.join(', ')}`);
    }
    const filter = auditFilter(ctx);
    const { page, pageSize } = paging(ctx);
    if (wantsCsv(ctx)) {
      ctx.set('Content-Disposition', 'attachment; filename="audit.csv"');
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = Readable.from(csvLines(log.walk(filter)));
      return;
    }
    const result = await log.list(filter, { page, pageSize });
    ctx.body = { total: result.total, page, pageSize, items: result.items };
  });
}

export function auditFilter(ctx: Context): AuditFilter {
  const text = (name: (typeof FILTERS)[number]): string | undefined => {
    const value = single(ctx, name);
    if (value === undefined || value === '') return undefined;
    if (value.length > MAX_FILTER_LENGTH) throw new HttpError(400, `${name} is longer than ${MAX_FILTER_LENGTH} characters`);
    return value;
  };
  const actor = text('actor');
  const targetType = text('targetType');
  const targetId = text('targetId');
  const targetName = text('target');
  const action = text('action');
  const from = text('from');
  const to = text('to');
  const filter: AuditFilter = {
    ...(actor === undefined ? {} : { actor }),
    ...(targetType === undefined ? {} : { targetType }),
    ...(targetId === undefined ? {} : { targetId }),
    ...(targetName === undefined ? {} : { targetName }),
    ...(action === undefined ? {} : { action }),
    ...(from === undefined ? {} : { from: parseAuditTime('from', from) }),
    ...(to === undefined ? {} : { to: parseAuditTime('to', to) }),
  };
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new HttpError(400, `from (${filter.from}) is after to (${filter.to})`);
  }
  return filter;
}

/** ?format=csv|json wins; else Accept: text/csv (preferred over JSON) asks for CSV. */
function wantsCsv(ctx: Context): boolean {
  const format = single(ctx, 'format');
  if (format !== undefined && format !== '') {
    if (format !== 'csv' && format !== 'json') throw new HttpError(400, `format must be csv or json, not "${format}"`);
    return format === 'csv';
  }
  return ctx.get('Accept') !== '' && ctx.accepts('application/json', 'text/csv') === 'text/csv';
}

export async function* csvLines(events: AsyncIterable<AuditEventView>): AsyncGenerator<string> {
  yield csvRow(AUDIT_CSV_COLUMNS);
  for await (const event of events) {
    yield csvRow([
      String(event.id), String(event.seq), event.occurredAt, event.actor.type, event.actor.id ?? '', event.actor.name, event.door,
      event.action, event.target.type, event.target.id, event.target.name ?? '',
      event.changes === null ? '' : typeof event.changes === 'string' ? event.changes : JSON.stringify(event.changes),
      event.requestId ?? '', event.prevHash ?? '', event.hash,
    ]);
  }
}

/**
 * One CSV record (RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled,
 * CRLF). A cell a spreadsheet would take for a formula (= + - @, or a leading tab or CR) gets a
 * leading ' so that opening an export runs nothing (OWASP, CSV injection).
 */
export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function paging(ctx: Context): { page: number; pageSize: number } {
  return {
    page: positive(ctx, 'page', 1, Number.MAX_SAFE_INTEGER),
    pageSize: positive(ctx, 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
  };
}

function positive(ctx: Context, name: string, fallback: number, max: number): number {
  const raw = single(ctx, name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new HttpError(400, `${name} must be a whole number from 1 to ${max}, not "${raw}"`);
  }
  return value;
}

function single(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  return Array.isArray(value) ? value[0] : value;
}
