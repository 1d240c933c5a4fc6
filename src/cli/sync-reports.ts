import { Option, type Command } from 'commander';
import { getLease, type LeaseView } from '../db/lease';
import { invalidError, notFoundError } from '../errors';
import {
  PROBLEM_ACTIONS, SYNC_LEASE, SyncRuns, type AttributeChange, type SyncCounters, type SyncRunEntryView, type SyncRunView,
  type SyncStateView,
} from '../governance/sync-runs';
import { printJson, printTable } from './output';
import { withStore } from './store';
import { syncCommand } from './sync-command';

const PAGE_SIZE = 1000;
const FORMATS = ['table', 'json', 'csv'] as const;
type ReportFormat = (typeof FORMATS)[number];

/** `scimd sync status` and `scimd sync report`: read-only views of the sync's runs. */
export function registerSyncReportCommands(program: Command): void {
  const sync = syncCommand(program);

  sync.command('status')
    .description('the latest sync run, the delta watermark, whether a sync holds the lease, and recent runs')
    .option('--recent <n>', 'how many recent runs to list (0: none)', '5')
    .option('--json', 'print {latest, watermark, lease, recent} as JSON')
    .action(async (options: { recent: string; json?: boolean }) => {
      const recentCount = wholeNumber('--recent', options.recent, 0, 100);
      const status = await withStore(async (dataSource) => {
        const runs = new SyncRuns(dataSource);
        const recent = await runs.list({ limit: Math.max(recentCount, 1), offset: 0 });
        return {
          latest: recent.items[0] ?? null,
          watermark: await runs.getState() ?? null,
          lease: await getLease(dataSource, SYNC_LEASE) ?? null,
          recent: recent.items.slice(0, recentCount),
        };
      });
      if (options.json) {
        printJson(status);
        return;
      }
      printStatus(status.latest, status.watermark, status.lease);
      if (status.recent.length > 1) {
        process.stdout.write('\nRecent runs\n');
        printTable(status.recent.map((run) => ({
          id: run.id, status: run.status, trigger: run.trigger, mode: run.mode + (run.dryRun ? ' (dry run)' : ''),
          started: run.startedAt, changes: counterSummary(run.counters) || '-',
        })), ['id', 'status', 'trigger', 'mode', 'started', 'changes']);
      }
    });

  sync.command('report [run-id]')
    .description('what a sync run did, object by object (default: the latest run); exit 3 when the run is unknown')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table'))
    .option('--errors', 'only the entries that went wrong or were skipped (actions error and skip)')
    .action(async (runId: string | undefined, options: { format: ReportFormat; errors?: boolean }) => {
      await withStore(async (dataSource) => {
        const runs = new SyncRuns(dataSource);
        const run = runId === undefined ? await runs.latest() : await runs.get(runId);
        if (!run) throw notFoundError('No sync run yet');
        const actions = options.errors ? PROBLEM_ACTIONS : undefined;
        if (options.format === 'csv') {
          process.stdout.write(csvRow(['anchor', 'dn', 'object_type', 'action', 'changes', 'message']));
          for await (const entry of allEntries(runs, run.id, actions)) {
            process.stdout.write(csvRow([entry.anchor, entry.dn ?? '', entry.objectType, entry.action,
              formatChanges(entry.changes), entry.message ?? '']));
          }
          return;
        }
        const entries: SyncRunEntryView[] = [];
        for await (const entry of allEntries(runs, run.id, actions)) entries.push(entry);
        if (options.format === 'json') {
          printJson({ run, entries });
          return;
        }
        printRun(run);
        process.stdout.write('\n');
        if (entries.length === 0) {
          process.stdout.write(options.errors ? 'No errors or skipped objects.\n' : 'No entries.\n');
          return;
        }
        printTable(entries.map((entry) => ({
          action: entry.action, type: entry.objectType, anchor: entry.anchor, dn: entry.dn ?? '',
          changes: formatChanges(entry.changes), message: entry.message ?? '',
        })), ['action', 'type', 'anchor', 'dn', 'changes', 'message']);
      });
    });
}

async function* allEntries(
  runs: SyncRuns, runId: string, actions: readonly SyncRunEntryView['action'][] | undefined,
): AsyncGenerator<SyncRunEntryView> {
  for (let page = 1; ; page++) {
    const result = await runs.entries(runId, { ...(actions ? { action: actions } : {}), page, pageSize: PAGE_SIZE });
    yield* result.items;
    if (page * PAGE_SIZE >= result.total || result.items.length === 0) return;
  }
}

function printStatus(latest: SyncRunView | null, watermark: SyncStateView | null, lease: LeaseView | null): void {
  if (latest) printRun(latest);
  else process.stdout.write('No sync run yet.\n');
  const lines: [string, string][] = [
    ['Watermark', watermark
      ? `usn ${watermark.usn} on invocation ${watermark.invocationId} (run ${watermark.runId ?? '-'}, ${watermark.updatedAt})`
      : 'none (the next run is a full run)'],
    ['Lease', !lease ? 'free' : lease.active
      ? `held by ${lease.holder} since ${lease.acquiredAt}, until ${lease.expiresAt}`
      : `free (expired ${lease.expiresAt}, last held by ${lease.holder})`],
  ];
  process.stdout.write(`\n${labelled(lines)}`);
}

function printRun(run: SyncRunView): void {
  const lines: [string, string][] = [
    ['Run', `${run.id} ${run.status}${run.dryRun ? ' (dry run: nothing was changed)' : ''}`],
    ['Trigger', `${run.trigger}, by ${run.actorName}`],
    ['Mode', run.modeReason ? `${run.mode} (${run.modeReason})` : run.mode],
    ['Started', run.startedAt],
    ['Finished', run.finishedAt ? `${run.finishedAt} (${run.durationMs ?? 0} ms)` : '-'],
    ['Server', run.server ?? '-'],
    ['USN', run.usnFrom || run.usnTo ? `${run.usnFrom ?? '-'} → ${run.usnTo ?? '-'}${run.invocationId ? ` (invocation ${run.invocationId})` : ''}` : '-'],
    ['Counters', `read ${run.counters.read}, unchanged ${run.counters.unchanged}, ${counterSummary(run.counters) || 'no changes'}`],
  ];
  if (run.message) lines.push(['Message', run.message]);
  process.stdout.write(labelled(lines));
}

function labelled(lines: readonly [string, string][]): string {
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

/** The non-zero action counters, e.g. "created 2, errors 1". */
function counterSummary(counters: SyncCounters): string {
  const names: [keyof SyncCounters, string][] = [
    ['created', 'created'], ['updated', 'updated'], ['deactivated', 'deactivated'], ['deleted', 'deleted'],
    ['reactivated', 'reactivated'], ['memberAdds', 'member adds'], ['memberRemoves', 'member removes'],
    ['skipped', 'skipped'], ['errors', 'errors'],
  ];
  return names.filter(([key]) => counters[key] > 0).map(([key, name]) => `${name} ${counters[key]}`).join(', ');
}

/** `title: "Dev" → "Lead"; mail: (none) → "a@example.com"`. */
export function formatChanges(changes: readonly AttributeChange[]): string {
  return changes.map((change) => {
    if (!('from' in change) && !('to' in change)) return change.attribute;
    return `${change.attribute}: ${formatValue(change.from)} → ${formatValue(change.to)}`;
  }).join('; ');
}

function formatValue(value: unknown): string {
  return value === undefined || value === null ? '(none)' : JSON.stringify(value);
}

/**
 * One CSV record (RFC 4180: quoted when needed, quotes doubled, CRLF). A cell that a spreadsheet
 * would take for a formula (= + - @ at the start) is prefixed with ' so opening a report runs nothing.
 */
export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw invalidError(`${option}: expected a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}
