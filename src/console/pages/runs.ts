import type { Context } from 'koa';
import { Readable } from 'node:stream';
import { csvRow } from '../../admin/audit-routes';
import { may } from '../../auth/principal';
import { requestSyncRelease } from '../../governance/sync-release';
import {
  SYNC_ENTRY_ACTIONS, SYNC_MODES, SYNC_STATUSES, SYNC_TRIGGERS, SyncRuns,
  type EntryFilter, type SyncCounters, type SyncEntryAction, type SyncMode, type SyncRunEntryView, type SyncRunView,
} from '../../governance/sync-runs';
import { HttpError } from '../../http/http-error';
import { num } from '../charts';
import { html, href, segment, type Html } from '../html';
import { csrfField, type PageFrame } from '../layout';
import { consoleState } from '../state';
import {
  changeContext, dateParameter, duration, formField, frameOf, oneOf, PAGE_SIZE, pageNumber, pager, queryText, requireSection,
  seeOther, sendPage, time,
} from './common';
import type { ConsolePageDependencies, PageRoutes } from './index';

/** The counters a run shows, in the order of the JSON API's `counters`, with their labels. */
export const COUNTER_LABELS: readonly (readonly [keyof SyncCounters, string])[] = [
  ['read', 'Read'], ['unchanged', 'Unchanged'], ['created', 'Created'], ['updated', 'Updated'], ['deactivated', 'Deactivated'],
  ['deleted', 'Deleted'], ['reactivated', 'Reactivated'], ['memberAdds', 'Member adds'], ['memberRemoves', 'Member removes'],
  ['skipped', 'Skipped'], ['errors', 'Errors'],
];

/** The counter each entry action adds to (docs/sync-reports.md): a finished run's total per action filter, without counting. */
const COUNTER_OF_ACTION: Readonly<Record<SyncEntryAction, keyof SyncCounters>> = {
  'create': 'created', 'update': 'updated', 'deactivate': 'deactivated', 'delete': 'deleted', 'reactivate': 'reactivated',
  'skip': 'skipped', 'error': 'errors', 'member-add': 'memberAdds', 'member-remove': 'memberRemoves',
};

/** Rows per read of an export: the export streams, whatever the size of the run. */
const EXPORT_BATCH = 1000;

/**
 * GET  /admin/runs                    sync:read  runs with filters (status, mode, trigger, from, to), paged; the run form
 * POST /admin/runs                    sync:run   start a dry or real run → its page
 * GET  /admin/runs/:id                sync:read  counters, errors by cause, entries (action, search, keyset pages), exports
 * GET  /admin/runs/:id/errors         sync:read  every cause of error, paged
 * GET  /admin/runs/:id/progress       sync:read  JSON {status, counters, finishedAt} of a run (the page's script polls it)
 * GET  /admin/runs/:id/entries.csv    sync:read  the entries (same filters) as CSV; .json: {run, entries}
 * POST /admin/runs/:id/release        sync:run   'allow deletes' on a blocked run → the change request a second person decides
 */
export function registerRunPages(router: PageRoutes, deps: ConsolePageDependencies): void {
  const runs = new SyncRuns(deps.dataSource);
  const read = requireSection('runs');

  router.get('/runs', read, async (ctx: Context) => {
    const filter = {
      status: oneOf(ctx, 'status', SYNC_STATUSES), mode: oneOf(ctx, 'mode', SYNC_MODES), trigger: oneOf(ctx, 'trigger', SYNC_TRIGGERS),
      from: dateParameter(ctx, 'from'), to: dateParameter(ctx, 'to', true),
    };
    const page = pageNumber(ctx);
    const result = await runs.search(definedOnly(filter), { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    const query = {
      status: filter.status, mode: filter.mode, trigger: filter.trigger, from: queryText(ctx, 'from'), to: queryText(ctx, 'to'),
    };
    sendPage(ctx, {
      title: 'Sync runs', section: 'runs',
      body: html`${runForm(frameOf(ctx), deps)}
<form method="get" action="/admin/runs" class="filters" aria-label="Filter runs">
  ${select('status', 'Status', SYNC_STATUSES, filter.status)}
  ${select('mode', 'Mode', SYNC_MODES, filter.mode)}
  ${select('trigger', 'Trigger', SYNC_TRIGGERS, filter.trigger)}
  <div class="field"><label for="from">Started from</label><input type="date" id="from" name="from" value="${query.from ?? ''}"></div>
  <div class="field"><label for="to">Started until</label><input type="date" id="to" name="to" value="${query.to ?? ''}"></div>
  <div class="field actions"><button type="submit" class="button">Filter</button> <a href="/admin/runs">Clear</a></div>
</form>
${runTable(result.items, 'Sync runs, newest first')}
${pager('/admin/runs', query, page, result.total, 'Sync runs')}`,
    });
  });

  router.post('/runs', async (ctx: Context) => {
    mayRun(ctx, deps);
    const trigger = deps.triggerRun;
    if (!trigger) throw new HttpError(409, 'The Active Directory sync is not configured on this server');
    const mode = formField(ctx, 'mode');
    if (mode !== undefined && !(SYNC_MODES as readonly string[]).includes(mode)) throw new HttpError(400, `mode must be one of ${SYNC_MODES.join(', ')}`);
    const dryRun = formField(ctx, 'dryRun');
    if (dryRun !== 'true' && dryRun !== 'false') throw new HttpError(400, 'Choose a dry run or a real run');
    const { runId } = await trigger({ ...(mode ? { mode: mode as SyncMode } : {}), dryRun: dryRun === 'true', context: changeContext(ctx) });
    seeOther(ctx, `/admin/runs/${segment(runId)}`);
  });

  router.get('/runs/:id', read, async (ctx: Context) => {
    const run = await runs.get(String(ctx.params.id));
    const filter = entryFilter(ctx);
    const after = cursor(ctx, 'after');
    const before = cursor(ctx, 'before');
    const [page, errors, counters] = await Promise.all([
      runs.entryPage(run.id, { ...filter, limit: PAGE_SIZE, ...(after === undefined ? {} : { after }), ...(before === undefined ? {} : { before }) }),
      runs.errorGroups(run.id, { limit: 10, offset: 0 }),
      run.status === 'running' ? runs.liveCounters(run.id) : Promise.resolve(run.counters),
    ]);
    // A finished run's counters equal its entries, so a total by action needs no count; a search (or a run still going) counts.
    const total = filter.search === undefined && run.status !== 'running' ? totalOf(run.counters, filter.action) : await runs.countEntries(run.id, filter);
    const frame = frameOf(ctx);
    sendPage(ctx, {
      title: `Sync run ${run.id}`, section: 'runs',
      body: html`${runSummary(run, counters)}
${run.status === 'blocked' ? blockedNotice(frame, run, deps) : ''}
${errorSection(run, errors.items, errors.total)}
${entrySection(run, filter, page, total, after, before)}`,
    });
  });

  router.get('/runs/:id/errors', read, async (ctx: Context) => {
    const run = await runs.get(String(ctx.params.id));
    const page = pageNumber(ctx);
    const groups = await runs.errorGroups(run.id, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
    sendPage(ctx, {
      title: `Errors of sync run ${run.id}`, section: 'runs',
      body: html`<p><a href="/admin/runs/${segment(run.id)}">‹ Back to the run</a></p>
${errorTable(run, groups.items)}
${pager(`/admin/runs/${segment(run.id)}/errors`, {}, page, groups.total, 'Causes of error')}`,
    });
  });

  router.get('/runs/:id/progress', read, async (ctx: Context) => {
    const run = await runs.get(String(ctx.params.id));
    ctx.body = {
      id: run.id, status: run.status, finishedAt: run.finishedAt,
      counters: run.status === 'running' ? await runs.liveCounters(run.id) : run.counters,
    };
  });

  router.get('/runs/:id/entries.csv', read, async (ctx: Context) => {
    const run = await runs.get(String(ctx.params.id));
    const entries = allEntries(runs, run.id, entryFilter(ctx));
    ctx.set('Content-Disposition', `attachment; filename="sync-run-${run.id}.csv"`);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = Readable.from((async function* csv() {
      yield csvRow(['id', 'anchor', 'dn', 'object_type', 'action', 'changes', 'message', 'created_at']);
      for await (const entry of entries) {
        yield csvRow([String(entry.id), entry.anchor, entry.dn ?? '', entry.objectType, entry.action, JSON.stringify(entry.changes),
          entry.message ?? '', entry.createdAt]);
      }
    })());
  });

  router.get('/runs/:id/entries.json', read, async (ctx: Context) => {
    const run = await runs.get(String(ctx.params.id));
    const entries = allEntries(runs, run.id, entryFilter(ctx));
    ctx.set('Content-Disposition', `attachment; filename="sync-run-${run.id}.json"`);
    ctx.type = 'application/json; charset=utf-8';
    // {"run": …, "entries": […]} as `scimd sync report --format json` writes it, streamed an entry at a time.
    ctx.body = Readable.from((async function* json() {
      yield `{"run":${JSON.stringify(run)},"entries":[`;
      let first = true;
      for await (const entry of entries) {
        yield `${first ? '' : ','}\n${JSON.stringify(entry)}`;
        first = false;
      }
      yield '\n]}\n';
    })());
  });

  router.post('/runs/:id/release', async (ctx: Context) => {
    mayRun(ctx, deps);
    if (!deps.triggerRun) throw new HttpError(409, 'The Active Directory sync is not configured on this server');
    const request = await requestSyncRelease(deps.dataSource, changeContext(ctx), String(ctx.params.id), {
      expiryDays: deps.governance.approvalExpiryDays,
    });
    seeOther(ctx, `/admin/approvals/${segment(request.id)}`);
  });
}

/** Starting runs and releasing blocked ones needs sync:run (and reading them sync:read, as the API's POST does not). */
function mayRun(ctx: Context, deps: ConsolePageDependencies): void {
  const { principal } = consoleState(ctx);
  if (!may(principal, 'sync:run')) throw new HttpError(403, 'Starting sync runs needs the permission sync:run, which your roles do not grant');
  if (!deps.triggerRun) throw new HttpError(409, 'The Active Directory sync is not configured on this server (set LDAP_URL and the other LDAP_* variables)');
}

/** The run form: a dry run or a real run, of a mode or the runner's choice. Only for holders of sync:run, where the sync is configured. */
export function runForm(frame: PageFrame, deps: Pick<ConsolePageDependencies, 'triggerRun'>): Html {
  if (!may(frame.principal, 'sync:run')) return html``;
  if (!deps.triggerRun) return html`<p class="notice">The Active Directory sync is not configured on this server, so no run can be started here.</p>`;
  return html`<form method="post" action="/admin/runs" class="run-form" aria-label="Start a sync run">
${csrfField(frame)}
<div class="field"><label for="run-mode">Mode</label>
<select id="run-mode" name="mode"><option value="">Delta if possible, else full</option><option value="delta">Delta</option><option value="full">Full</option></select></div>
<div class="field actions">
<button type="submit" name="dryRun" value="true" class="button secondary">Start a dry run</button>
<button type="submit" name="dryRun" value="false" class="button">Start a real run</button>
</div>
</form>`;
}

/** A table of runs (the runs list and the dashboard). */
export function runTable(items: readonly SyncRunView[], caption: string): Html {
  if (items.length === 0) return html`<p>No runs match.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${caption}"><table class="data">
<caption>${caption}</caption>
<thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Mode</th><th scope="col">Trigger</th>
<th scope="col" class="num">Created</th><th scope="col" class="num">Updated</th><th scope="col" class="num">Deactivated</th>
<th scope="col" class="num">Errors</th><th scope="col" class="num">Duration</th></tr></thead>
<tbody>${items.map((run) => html`<tr>
<th scope="row"><a href="/admin/runs/${segment(run.id)}">${time(run.startedAt)}</a></th>
<td>${statusBadge(run)}</td><td>${run.mode}${run.dryRun ? ' (dry run)' : ''}</td><td>${run.trigger} · ${run.actorName}</td>
<td class="num">${num(run.counters.created)}</td><td class="num">${num(run.counters.updated)}</td>
<td class="num">${num(run.counters.deactivated)}</td><td class="num">${num(run.counters.errors)}</td>
<td class="num">${duration(run.durationMs)}</td></tr>`)}</tbody>
</table></div>`;
}

/** A run's status as a badge whose text says it (colour is never the only sign). */
export function statusBadge(run: Pick<SyncRunView, 'status'>): Html {
  return html`<span class="badge status-${run.status}">${run.status}</span>`;
}

function runSummary(run: SyncRunView, counters: SyncCounters): Html {
  const running = run.status === 'running';
  return html`<section aria-labelledby="run-summary" class="run-summary"${running ? html` data-progress="${href(`/admin/runs/${segment(run.id)}/progress`)}"` : ''}>
<h2 id="run-summary">Summary</h2>
<dl class="facts">
<div><dt>Status</dt><dd data-field="status">${statusBadge(run)}${running ? html` <a href="/admin/runs/${segment(run.id)}">Refresh</a>` : ''}</dd></div>
<div><dt>Mode</dt><dd>${run.mode}${run.dryRun ? ' (dry run: nothing was changed)' : ''}${run.modeReason ? html` <span class="muted">(${run.modeReason})</span>` : ''}</dd></div>
<div><dt>Trigger</dt><dd>${run.trigger}, by ${run.actorName}</dd></div>
<div><dt>Started</dt><dd>${time(run.startedAt)}</dd></div>
<div><dt>Finished</dt><dd data-field="finishedAt">${time(run.finishedAt)} (${duration(run.durationMs)})</dd></div>
<div><dt>Server</dt><dd>${run.server ?? '—'}</dd></div>
<div><dt>USN</dt><dd>${run.usnFrom ?? '—'} → ${run.usnTo ?? '—'}</dd></div>
${run.message ? html`<div><dt>Message</dt><dd>${run.message}</dd></div>` : ''}
</dl>
<table class="data counters" aria-live="polite"><caption>Counters${running ? ' so far (entries written until now)' : ''}</caption>
<thead><tr>${COUNTER_LABELS.map(([, label]) => html`<th scope="col" class="num">${label}</th>`)}</tr></thead>
<tbody><tr>${COUNTER_LABELS.map(([key]) => html`<td class="num" data-counter="${key}">${num(counters[key])}</td>`)}</tr></tbody>
</table>
</section>`;
}

function blockedNotice(frame: PageFrame, run: SyncRunView, deps: ConsolePageDependencies): Html {
  const release = may(frame.principal, 'sync:run') && deps.triggerRun !== undefined;
  return html`<section aria-labelledby="blocked" class="notice warning">
<h2 id="blocked">This run was blocked</h2>
<p>${run.message ?? 'A safety guard refused to apply the plan.'} Nothing was changed. The entries below are what the run would have done.</p>
${release ? html`<form method="post" action="/admin/runs/${segment(run.id)}/release">
${csrfField(frame)}
<p>Allowing the deletes asks a second person to approve a new ${run.mode} run that may apply them.</p>
<button type="submit" class="button danger">Allow deletes (ask for approval)</button>
</form>` : ''}
</section>`;
}

function errorSection(run: SyncRunView, groups: readonly { message: string | null; count: number; firstEntryId: number }[], total: number): Html {
  if (total === 0) return html``;
  return html`<section aria-labelledby="errors-by-cause">
<h2 id="errors-by-cause">Errors by cause</h2>
${errorTable(run, groups)}
${total > groups.length ? html`<p><a href="/admin/runs/${segment(run.id)}/errors">All ${num(total)} causes</a></p>` : ''}
</section>`;
}

function errorTable(run: SyncRunView, groups: readonly { message: string | null; count: number; firstEntryId: number }[]): Html {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Errors by cause"><table class="data">
<caption>Error entries grouped by message, most frequent first</caption>
<thead><tr><th scope="col">Cause</th><th scope="col" class="num">Entries</th><th scope="col">Example</th></tr></thead>
<tbody>${groups.map((group) => html`<tr><td>${group.message ?? '(no message)'}</td><td class="num">${num(group.count)}</td>
<td><a href="${href(`/admin/runs/${segment(run.id)}`, { action: 'error', after: group.firstEntryId - 1 })}#entries">First entry</a></td></tr>`)}</tbody>
</table></div>`;
}

function entrySection(
  run: SyncRunView, filter: EntryFilter & { action?: SyncEntryAction[] },
  page: { items: SyncRunEntryView[]; more: boolean }, total: number, after: number | undefined, before: number | undefined,
): Html {
  const base = `/admin/runs/${segment(run.id)}`;
  const kept = { action: filter.action?.join(','), q: filter.search };
  const first = page.items[0];
  const last = page.items.at(-1);
  // Going back, "more" means more before; going forward (or on the first page), more after.
  const hasPrevious = before !== undefined ? page.more : after !== undefined;
  const hasNext = before !== undefined ? true : page.more;
  return html`<section aria-labelledby="entries">
<h2 id="entries">Entries</h2>
<form method="get" action="${base}" class="filters" aria-label="Filter entries">
<fieldset><legend>Actions</legend>${SYNC_ENTRY_ACTIONS.map((action) => html`<label class="check"><input type="checkbox" name="action" value="${action}"${filter.action?.includes(action) ? html` checked` : ''}> ${action}</label>`)}</fieldset>
<div class="field"><label for="q">DN, objectGUID or userName</label><input type="search" id="q" name="q" value="${filter.search ?? ''}" maxlength="1024"></div>
<div class="field actions"><button type="submit" class="button">Show</button> <a href="${base}#entries">Clear</a></div>
</form>
<p><data value="${total}">${total.toLocaleString('en-US')}</data> ${total === 1 ? 'entry matches' : 'entries match'}.
Export: <a href="${href(`${base}/entries.csv`, kept)}" download>CSV</a> · <a href="${href(`${base}/entries.json`, kept)}" download>JSON</a></p>
${page.items.length === 0 ? html`<p>No entries on this page.</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Entries"><table class="data entries">
<caption>Entries in the order they were written</caption>
<thead><tr><th scope="col">Action</th><th scope="col">Type</th><th scope="col">DN</th><th scope="col">Changes</th><th scope="col">Message</th></tr></thead>
<tbody>${page.items.map((entry) => html`<tr id="entry-${entry.id}"><td><span class="badge action-${entry.action}">${entry.action}</span></td><td>${entry.objectType}</td>
<td class="dn">${entry.dn ?? html`<span class="muted">${entry.anchor}</span>`}</td><td>${changeList(entry)}</td><td>${entry.message ?? ''}</td></tr>`)}</tbody>
</table></div>`}
<nav class="pager" aria-label="Entry pages">
${hasPrevious ? html`<a href="${href(base, kept)}#entries">« First</a> <a href="${href(base, { ...kept, before: first?.id ?? after })}#entries" rel="prev">‹ Previous</a>` : ''}
${hasNext && last ? html`<a href="${href(base, { ...kept, after: last.id })}#entries" rel="next">Next ›</a>` : ''}
</nav>
</section>`;
}

function changeList(entry: SyncRunEntryView): Html {
  if (entry.changes.length === 0) return html``;
  return html`<ul class="changes">${entry.changes.map((change) => html`<li><span class="attr">${change.attribute}</span>: ${
    'from' in change ? JSON.stringify(change.from) : '(none)'} → ${'to' in change ? JSON.stringify(change.to) : '(none)'}</li>`)}</ul>`;
}

function select(name: string, label: string, options: readonly string[], selected: string | undefined): Html {
  return html`<div class="field"><label for="${name}">${label}</label><select id="${name}" name="${name}"><option value="">Any</option>${
    options.map((option) => html`<option value="${option}"${option === selected ? html` selected` : ''}>${option}</option>`)}</select></div>`;
}

/** ?action= (checkboxes repeat it; a comma list as the API's works too) and ?q=. */
function entryFilter(ctx: Context): { action?: SyncEntryAction[]; search?: string } {
  const value = ctx.query.action;
  const raw = (Array.isArray(value) ? value : value === undefined ? [] : [value]).flatMap((item) => item.split(','))
    .map((item) => item.trim()).filter((item) => item !== '');
  const unknown = raw.filter((item) => !(SYNC_ENTRY_ACTIONS as readonly string[]).includes(item));
  if (unknown.length > 0) throw new HttpError(400, `Unknown action ${unknown.join(', ')}; one of ${SYNC_ENTRY_ACTIONS.join(', ')}`);
  const search = queryText(ctx, 'q', 1024);
  return { ...(raw.length > 0 ? { action: [...new Set(raw)] as SyncEntryAction[] } : {}), ...(search === undefined ? {} : { search }) };
}

function cursor(ctx: Context, name: string): number | undefined {
  const raw = queryText(ctx, name, 16);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `${name} must be an entry id`);
  return Number(raw);
}

/** The number of a finished run's entries of these actions (all when none named), from its counters. */
export function totalOf(counters: SyncCounters, actions: readonly SyncEntryAction[] | undefined): number {
  const chosen = actions === undefined || actions.length === 0 ? SYNC_ENTRY_ACTIONS : actions;
  return chosen.reduce((sum, action) => sum + counters[COUNTER_OF_ACTION[action]], 0);
}

async function* allEntries(runs: SyncRuns, runId: string, filter: EntryFilter): AsyncGenerator<SyncRunEntryView> {
  let after: number | undefined;
  for (;;) {
    const page = await runs.entryPage(runId, { ...filter, limit: EXPORT_BATCH, ...(after === undefined ? {} : { after }) });
    yield* page.items;
    const last = page.items.at(-1);
    if (!page.more || !last) return;
    after = last.id;
  }
}

function definedOnly<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
