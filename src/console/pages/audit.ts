import type { Context } from 'koa';
import { Readable } from 'node:stream';
import { auditFilter, csvLines } from '../../admin/audit-routes';
import { AuditLog, type AuditEventView } from '../../governance/audit-log';
import { html, href, segment, type Html } from '../html';
import { PAGE_SIZE, pageNumber, pager, queryText, requireSection, sendPage, time } from './common';
import type { ConsolePageDependencies, PageRoutes } from './index';

/** The filters, named as the JSON API's GET /admin/api/audit names them (so a console URL's numbers are the API's). */
const FILTERS = [
  ['actor', 'Actor (id or name)', 'text'], ['action', 'Action (user.create, or a prefix: role.)', 'text'],
  ['targetType', 'Target type (User, Group, SyncRun …)', 'text'], ['target', 'Target name', 'text'],
  ['from', 'From (date, inclusive)', 'date'], ['to', 'To (date, exclusive)', 'date'],
] as const;

/**
 * GET /admin/audit       audit:read   the audit log, newest first, filtered as the JSON API's, paged
 * GET /admin/audit.csv   audit:read   every matching event as CSV (the API's writer and columns), streamed
 */
export function registerAuditPages(router: PageRoutes, deps: ConsolePageDependencies): void {
  const log = new AuditLog(deps.dataSource);
  const read = requireSection('audit');

  router.get('/audit', read, async (ctx: Context) => {
    const filter = auditFilter(ctx);
    const page = pageNumber(ctx);
    const result = await log.list(filter, { page, pageSize: PAGE_SIZE });
    const query = Object.fromEntries(FILTERS.map(([name]) => [name, queryText(ctx, name)]));
    sendPage(ctx, {
      title: 'Audit log', section: 'audit',
      body: html`<form method="get" action="/admin/audit" class="filters" aria-label="Filter the audit log">
${FILTERS.map(([name, label, type]) => html`<div class="field"><label for="audit-${name}">${label}</label><input type="${type}" id="audit-${name}" name="${name}" value="${query[name] ?? ''}" maxlength="255"></div>`)}
<div class="field actions"><button type="submit" class="button">Filter</button> <a href="/admin/audit">Clear</a></div>
</form>
<p>Export the ${result.total === 1 ? 'event' : 'events'} that match: <a href="${href('/admin/audit.csv', query)}" download>CSV</a></p>
${eventTable(result.items)}
${pager('/admin/audit', query, page, result.total, 'Audit events')}`,
    });
  });

  router.get('/audit.csv', read, async (ctx: Context) => {
    const filter = auditFilter(ctx);
    ctx.set('Content-Disposition', 'attachment; filename="audit.csv"');
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = Readable.from(csvLines(log.walk(filter)));
  });
}

function eventTable(items: readonly AuditEventView[]): Html {
  if (items.length === 0) return html`<p>No events match.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Audit events"><table class="data">
<caption>Audit events, newest first</caption>
<thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Door</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Changes</th></tr></thead>
<tbody>${items.map((event) => html`<tr><td class="num">${event.seq}</td><td>${time(event.occurredAt)}</td>
<td>${event.actor.name} <span class="muted">(${event.actor.type})</span></td><td>${event.door}</td><td>${event.action}</td>
<td>${targetOf(event)}</td><td>${event.changes === null ? '' : html`<details><summary>Show</summary><pre>${JSON.stringify(event.changes, null, 2)}</pre></details>`}</td></tr>`)}</tbody>
</table></div>`;
}

function targetOf(event: AuditEventView): Html {
  const name = event.target.name ?? event.target.id;
  if (event.target.type === 'User') return html`<a href="/admin/users/${segment(event.target.id)}">${name}</a>`;
  if (event.target.type === 'SyncRun') return html`<a href="/admin/runs/${segment(event.target.id)}">run ${event.target.id}</a>`;
  return html`${name} <span class="muted">(${event.target.type})</span>`;
}
