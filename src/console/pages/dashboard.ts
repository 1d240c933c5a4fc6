import type { Context } from 'koa';
import { CronExpressionParser } from 'cron-parser';
import { changeRequestsFor } from '../../admin/change-requests-factory';
import type { SyncConfig } from '../../config';
import { SyncRuns, type SyncMode, type SyncRunView } from '../../governance/sync-runs';
import { barChart, chartTable, legend, lineChart, num, type ChartInput } from '../charts';
import { html, segment, type Html } from '../html';
import { maySee } from '../layout';
import { requestTable } from './approvals';
import { duration, frameOf, sendPage, time } from './common';
import type { ConsolePageDependencies, PageRoutes } from './index';
import { runForm, runTable, statusBadge } from './runs';

/** Runs in the dashboard's chart: the last 30. */
const CHART_RUNS = 30;

/**
 * GET /admin   every signed-in person: what the last sync runs did and what failed (sync:read), when
 * the next runs are due, the directory's size over time, and the approvals waiting (for those who
 * read change requests). A handful of queries, none of them over entries.
 */
export function registerDashboardPage(router: PageRoutes, deps: ConsolePageDependencies): void {
  const runs = new SyncRuns(deps.dataSource);
  const requests = changeRequestsFor(deps.dataSource, deps.triggerRun);

  router.get('/', async (ctx: Context) => {
    const frame = frameOf(ctx);
    const seesRuns = maySee(frame.principal, 'runs');
    const seesApprovals = maySee(frame.principal, 'approvals');
    const [lastFull, lastDelta, recent, sizes, pending] = await Promise.all([
      seesRuns ? lastOf(runs, 'full') : undefined,
      seesRuns ? lastOf(runs, 'delta') : undefined,
      seesRuns ? runs.list({ limit: CHART_RUNS, offset: 0 }) : undefined,
      seesRuns ? runs.directorySizes(CHART_RUNS) : undefined,
      seesApprovals ? requests.list({ status: 'pending', limit: 5, offset: 0 }) : undefined,
    ]);
    const sections: Html[] = [];
    if (seesRuns && recent && sizes) {
      sections.push(html`<section aria-labelledby="last-runs"><h2 id="last-runs">Last runs</h2>
<div class="cards">${lastRunCard('Full', lastFull)}${lastRunCard('Delta', lastDelta)}</div>
${runForm(frame, deps)}
</section>`);
      sections.push(scheduleSection(deps.sync, new Date()));
      sections.push(runCharts([...recent.items].reverse()));
      sections.push(sizeChart(sizes));
      sections.push(html`<section aria-labelledby="recent-runs"><h2 id="recent-runs">Recent runs</h2>
${runTable(recent.items.slice(0, 10), 'The ten latest runs')}<p><a href="/admin/runs">All ${num(recent.total)} runs</a></p></section>`);
    }
    if (pending) {
      sections.push(html`<section aria-labelledby="pending"><h2 id="pending">Pending approvals</h2>
<p><a href="/admin/approvals"><data value="${pending.total}">${pending.total}</data> ${pending.total === 1 ? 'request waits' : 'requests wait'} for a decision</a></p>
${requestTable(pending.items, 'The latest pending change requests')}</section>`);
    }
    if (sections.length === 0) {
      sections.push(html`<p>Your roles grant none of the console's sections. Ask an administrator for the access you need.</p>`);
    }
    sendPage(ctx, { title: 'Dashboard', section: 'dashboard', body: html`${sections}` });
  });
}

async function lastOf(runs: SyncRuns, mode: SyncMode): Promise<SyncRunView | undefined> {
  return (await runs.search({ mode }, { limit: 1, offset: 0 })).items[0];
}

function lastRunCard(label: string, run: SyncRunView | undefined): Html {
  if (!run) return html`<div class="card"><h3>${label}</h3><p>No ${label.toLowerCase()} run yet.</p></div>`;
  return html`<div class="card"><h3>${label}</h3>
<p>${statusBadge(run)}${run.dryRun ? ' dry run' : ''} · <a href="/admin/runs/${segment(run.id)}">${time(run.startedAt)}</a></p>
<p>${num(run.counters.created)} created, ${num(run.counters.updated)} updated, ${num(run.counters.deactivated)} deactivated,
<strong>${num(run.counters.errors)} ${run.counters.errors === 1 ? 'error' : 'errors'}</strong>, ${duration(run.durationMs)}</p>
${run.message ? html`<p class="muted">${run.message}</p>` : ''}
${run.counters.errors > 0 ? html`<p><a href="/admin/runs/${segment(run.id)}?action=error#entries">See the errors</a></p>` : ''}
</div>`;
}

/** When each schedule fires next (SYNC_SCHEDULE_DELTA, SYNC_SCHEDULE_FULL), by the same cron expressions the scheduler runs. */
export function nextRuns(sync: SyncConfig | undefined, now: Date): { mode: SyncMode; expression: string; next: string }[] {
  if (!sync) return [];
  const schedules: [SyncMode, string | undefined][] = [['delta', sync.scheduleDelta], ['full', sync.scheduleFull]];
  return schedules.flatMap(([mode, expression]) => {
    if (!expression) return [];
    const next = CronExpressionParser.parse(expression.trim(), { currentDate: now }).next().toISOString();
    return next === null ? [] : [{ mode, expression, next }];
  });
}

function scheduleSection(sync: SyncConfig | undefined, now: Date): Html {
  const next = nextRuns(sync, now);
  return html`<section aria-labelledby="schedule"><h2 id="schedule">Next scheduled runs</h2>
${!sync ? html`<p>The Active Directory sync is not configured on this server.</p>`
    : next.length === 0 ? html`<p>No schedule is set (SYNC_SCHEDULE_DELTA, SYNC_SCHEDULE_FULL): runs start only on request.</p>`
      : html`<ul>${next.map((item) => html`<li>${item.mode}: ${time(item.next)} <span class="muted">(<code>${item.expression}</code>)</span></li>`)}</ul>
${sync.schedulerEnabled ? '' : html`<p class="muted">This server does not run the schedules itself (SYNC_SCHEDULER=false): another replica or cron does.</p>`}`}
</section>`;
}

/** The last runs, oldest first: what they did (stacked bars) and how long they took (a line). */
export function runCharts(runs: readonly SyncRunView[]): Html {
  if (runs.length === 0) return html``;
  const labels = runs.map((run) => shortTime(run.startedAt) + (run.dryRun ? ' (dry)' : ''));
  const changes: ChartInput = {
    id: 'chart-changes', title: `What the last ${runs.length} runs did`,
    description: 'Created, updated and deactivated users and errors per run, oldest run on the left. The table after the chart has the numbers.',
    labels, series: [
      { key: 'created', label: 'Created', values: runs.map((run) => run.counters.created) },
      { key: 'updated', label: 'Updated', values: runs.map((run) => run.counters.updated) },
      { key: 'deactivated', label: 'Deactivated', values: runs.map((run) => run.counters.deactivated) },
      { key: 'errors', label: 'Errors', values: runs.map((run) => run.counters.errors) },
    ],
  };
  const durations: ChartInput = {
    id: 'chart-duration', title: `How long the last ${runs.length} runs took`, unit: 'ms',
    description: 'Duration of each finished run in milliseconds, oldest run on the left.',
    labels, series: [{ key: 'duration', label: 'Duration (ms)', values: runs.map((run) => run.durationMs ?? 0) }],
  };
  return html`<section aria-labelledby="trends"><h2 id="trends">The last ${runs.length} runs</h2>
<figure class="chart-figure">${caption(changes)}${legend(changes.series)}${barChart(changes)}
<details><summary>Numbers of this chart</summary>${chartTable(changes)}</details></figure>
<figure class="chart-figure">${caption(durations)}${lineChart(durations)}
<details><summary>Numbers of this chart</summary>${chartTable(durations)}</details></figure>
</section>`;
}

function sizeChart(sizes: readonly { startedAt: string; read: number }[]): Html {
  const input: ChartInput = {
    id: 'chart-size', title: 'Directory size over time', unit: 'objects',
    description: 'Objects in the sync scope (users and groups) as each succeeded full run read them, oldest on the left.',
    labels: sizes.map((size) => shortTime(size.startedAt)),
    series: [{ key: 'size', label: 'Objects read', values: sizes.map((size) => size.read) }],
  };
  return html`<section aria-labelledby="size"><h2 id="size">Directory size</h2>
${sizes.length === 0 ? html`<p>No succeeded full run yet.</p>` : html`<figure class="chart-figure">${caption(input)}${lineChart(input)}
<details><summary>Numbers of this chart</summary>${chartTable(input)}</details></figure>`}
</section>`;
}

/** A chart's title, with its unit, in sight above it (the image's own title shows only as a tooltip). */
function caption(input: ChartInput): Html {
  return html`<figcaption>${input.title}${input.unit ? ` (${input.unit})` : ''}</figcaption>`;
}

/** "11-23 13:11" of an ISO time (UTC): short enough for an axis label. */
function shortTime(iso: string): string {
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}
