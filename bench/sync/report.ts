import type { ChildResult } from './protocol';
import type { ReadResult } from './floor';
import type { PhaseCpu } from './runner';

/** Every figure of one N. */
export interface SyncRun {
  readonly result: ChildResult;
  readonly cpu: PhaseCpu;
}

export interface FloorRead {
  readonly label: string;
  readonly pageSize: number;
  readonly result?: ReadResult;
  readonly cpu?: PhaseCpu;
  readonly error?: string;
}

export interface NFigures {
  readonly users: number;
  readonly directory: { readonly source: 'populated' | 'cache'; readonly populateSeconds: number; readonly readySeconds: number };
  readonly floors: readonly FloorRead[];
  /** The first full run of median ratio to its raw read (fullMedian): what the verdicts and the tables show. */
  readonly full: SyncRun;
  /** The raw read `full` is judged against (absent in figures saved before --full-runs: the fastest of the run). */
  readonly fullRaw?: ReadResult;
  /** Every first full run, in the order run (absent in figures saved before --full-runs). */
  readonly fullRuns?: readonly FullRunFigure[];
  readonly rerun?: SyncRun;
  readonly changes: number;
  /** The delta run of median wall time (deltaMedian): what the verdicts and the tables show. */
  readonly delta: SyncRun;
  /** Every delta run's wall time, in the order run (absent in figures saved before --delta-runs). */
  readonly deltaSeconds?: readonly number[];
  readonly rows: Readonly<Record<string, number>>;
}

/** One first full run and the raw read beside it. */
export interface FullRun {
  readonly run: SyncRun;
  /** The fastest ldapts page-1000 read taken between the full run before it (or the bench's start) and the read just after it. */
  readonly raw: ReadResult | undefined;
}

/** What the summary keeps of each first full run. */
export interface FullRunFigure {
  readonly seconds: number;
  /** Users created per second over the raw read's users per second; undefined without a raw read. */
  readonly share: number | undefined;
  readonly vmHwmMiB: number | undefined;
}

export interface Verdict {
  readonly pass: boolean | undefined;
  readonly text: string;
}

export const FLOOR_LABEL = 'ldapts searchPaginated';
const FULL_SHARE_TARGET = 0.5;
const DELTA_LIMIT_SECONDS = 2;
const DELTA_REFERENCE_USERS = 20_000;
const DELTA_GROWTH_LIMIT = 1.5;
const RSS_LIMIT_MB = 300;
const RSS_TARGET_USERS = 100_000;

/** The fastest ldapts page-1000 read of these. */
export function fastestRead(floors: readonly FloorRead[]): ReadResult | undefined {
  const reads = floors.filter((f) => f.label === FLOOR_LABEL && f.pageSize === 1000 && f.result).map((f) => f.result as ReadResult);
  return reads.sort((a, b) => b.entries / b.seconds - a.entries / a.seconds)[0];
}

/** The floor the full run's ratio is taken against: the raw read beside it, or (older figures) the fastest of the run. */
export function rawRead(figures: NFigures): ReadResult | undefined {
  return figures.fullRaw ?? fastestRead(figures.floors);
}

/** A first full run's users created per second over the raw read's users per second. */
export function fullShare(run: SyncRun, raw: ReadResult | undefined): number | undefined {
  return raw === undefined ? undefined : rate(run.result.counters.created ?? 0, run.result.seconds) / rate(raw.entries, raw.seconds);
}

/**
 * The first full run of median ratio to its raw read (the lower of the two middle ones when the
 * count is even; a run without a raw read counts lowest). The machine's speed drifts within one
 * bench (Samba's paged read of the same users varied by a third within minutes), and a single full
 * run against the fastest read of the bench judged that drift as much as the sync.
 */
export function fullMedian(runs: readonly FullRun[]): FullRun {
  return lowerMedian(runs, (run) => fullShare(run.run, run.raw) ?? -1, 'fullMedian');
}

/** The item of median value, the lower of the two middle ones when the count is even. */
function lowerMedian<T>(items: readonly T[], value: (item: T) => number, caller: string): T {
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new RangeError(`${caller} needs at least one run`);
  return median;
}

/** What the figures keep of each first full run. */
export function fullRunFigures(runs: readonly FullRun[]): FullRunFigure[] {
  return runs.map(({ run, raw }) => ({ seconds: run.result.seconds, share: fullShare(run, raw), vmHwmMiB: run.result.vmHwmMiB }));
}

const percent = (share: number): string => `${(share * 100).toFixed(0)}%`;

/** The summary's ratio cell: the median run's, and the range of the runs when there were several. */
export function fullShareCell(figures: NFigures): string {
  const share = fullShare(figures.full, rawRead(figures));
  if (share === undefined) return 'n/a';
  const shares = (figures.fullRuns ?? []).flatMap((run) => (run.share === undefined ? [] : [run.share]));
  if (shares.length < 2) return percent(share);
  return `${percent(share)} (median of ${shares.length}: ${percent(Math.min(...shares))}-${percent(Math.max(...shares))})`;
}

/** The peak RSS judged: the highest of every first full run (each a process of its own). */
function fullPeakMiB(figures: NFigures): number | undefined {
  const peaks = (figures.fullRuns ?? []).flatMap((run) => (run.vmHwmMiB === undefined ? [] : [run.vmHwmMiB]));
  return peaks.length > 0 ? Math.max(...peaks) : figures.full.result.vmHwmMiB;
}

const rate = (entries: number, seconds: number): number => (seconds > 0 ? entries / seconds : 0);
const mb = (mib: number | undefined): string => (mib === undefined ? 'n/a' : `${((mib * 2 ** 20) / 1e6).toFixed(0)} MB`);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (n: number): string => `${n.toFixed(n < 10 ? 2 : 1)} s`;

/**
 * The delta run of median wall time (the lower of the two middle ones when the count is even). A
 * delta of 100 changes takes a few tenths of a second in a fresh process, and one run's time moves
 * by a tenth from run to run: enough to turn the 1.5× growth target either way on its own.
 */
export function deltaMedian(runs: readonly SyncRun[]): SyncRun {
  return lowerMedian(runs, (run) => run.result.seconds, 'deltaMedian');
}

/** The summary's delta cell: the median, and the range of the runs when there were several. */
export function deltaCell(figures: Pick<NFigures, 'delta' | 'deltaSeconds'>): string {
  const all = figures.deltaSeconds ?? [];
  if (all.length < 2) return secs(figures.delta.result.seconds);
  return `${secs(figures.delta.result.seconds)} (median of ${all.length}: ${Math.min(...all).toFixed(2)}-${Math.max(...all).toFixed(2)} s)`;
}

/** The delta's label in the per-run tables. */
const deltaLabel = (f: NFigures): string => `delta (${f.changes})${(f.deltaSeconds?.length ?? 1) > 1 ? `, median of ${f.deltaSeconds?.length}` : ''}`;

/** The first full run's label in the per-run tables. */
const fullLabel = (f: NFigures): string => `full (first)${(f.fullRuns?.length ?? 1) > 1 ? `, median of ${f.fullRuns?.length}` : ''}`;

/** PASS/MISS per target. `deltaAt20k`: the delta seconds at 20,000 users (this run or a saved one). */
export function verdicts(figures: NFigures, deltaAt20k: { seconds: number; from: string } | undefined): Verdict[] {
  const share = fullShare(figures.full, rawRead(figures));
  const out: Verdict[] = [{
    pass: share === undefined ? undefined : share >= FULL_SHARE_TARGET,
    text: `full sync ≥ ${FULL_SHARE_TARGET * 100}% of raw read`,
  }];
  const delta = figures.delta.result.seconds;
  if (figures.users <= DELTA_REFERENCE_USERS) {
    out.push({ pass: delta < DELTA_LIMIT_SECONDS, text: `delta < ${DELTA_LIMIT_SECONDS} s` });
  } else if (deltaAt20k) {
    const ratio = delta / deltaAt20k.seconds;
    out.push({ pass: ratio <= DELTA_GROWTH_LIMIT, text: `delta ${ratio.toFixed(2)}× the 20k figure (${deltaAt20k.from}; ≤ ${DELTA_GROWTH_LIMIT}×)` });
  } else {
    out.push({ pass: undefined, text: `delta ≤ ${DELTA_GROWTH_LIMIT}× the 20k figure: no 20k figure (run --users 20000,${figures.users})` });
  }
  const peak = fullPeakMiB(figures);
  const peakMb = peak === undefined ? undefined : (peak * 2 ** 20) / 1e6;
  if (figures.users >= RSS_TARGET_USERS) {
    out.push({ pass: peakMb === undefined ? undefined : peakMb < RSS_LIMIT_MB, text: `peak RSS < ${RSS_LIMIT_MB} MB` });
  } else {
    out.push({ pass: undefined, text: `peak RSS < ${RSS_LIMIT_MB} MB applies at ${int(RSS_TARGET_USERS)}` });
  }
  return out;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number>): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0)
    : cell.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const mark = (v: Verdict): string => `${v.pass === undefined ? '—' : v.pass ? 'PASS' : 'MISS'} ${v.text}`;

/** The main table: one row per N. */
export function renderSummary(all: readonly NFigures[], deltaAt20k: (figures: NFigures) => { seconds: number; from: string } | undefined): string {
  const rows = all.map((f) => {
    const raw = rawRead(f);
    const fullRate = rate(f.full.result.counters.created ?? 0, f.full.result.seconds);
    const rawRate = raw ? rate(raw.entries, raw.seconds) : undefined;
    return [
      int(f.users), secs(f.full.result.seconds), int(fullRate), rawRate === undefined ? 'n/a' : int(rawRate),
      fullShareCell(f),
      f.rerun ? `${secs(f.rerun.result.seconds)} (${int(rate(f.users, f.rerun.result.seconds))}/s)` : '—',
      deltaCell(f), mb(fullPeakMiB(f)),
      verdicts(f, deltaAt20k(f)).map(mark).join('; '),
    ];
  });
  const all3 = all.flatMap((f) => verdicts(f, deltaAt20k(f)));
  const passed = all3.filter((v) => v.pass === true).length;
  const missed = all3.filter((v) => v.pass === false).length;
  return `${table(['Users', 'Full sync', 'Full users/s', 'Raw read users/s', 'Full ÷ raw', 'Full re-run (unchanged)',
    `Delta (${all[0]?.changes ?? 100} changes)`, 'Peak RSS full', 'Targets'], rows, new Set([0, 1, 2, 3, 4, 5, 6, 7]))}\n\n`
    + `Targets: ${passed} PASS, ${missed} MISS, ${all3.length - passed - missed} not applicable.`;
}

/** Where each sync run's time and memory went. */
export function renderRuns(all: readonly NFigures[]): string {
  const rows: string[][] = [];
  const live = all.some((f) => f.full.result.stages.some((s) => s.liveHeapAtStartMiB !== undefined));
  for (const f of all) {
    const runs: [string, SyncRun | undefined][] = [[fullLabel(f), f.full], ['full (re-run)', f.rerun], [deltaLabel(f), f.delta]];
    for (const [label, run] of runs) {
      if (!run) continue;
      const stage = (prefix: string) => run.result.stages.filter((s) => s.stage.startsWith(prefix)).reduce((sum, s) => sum + s.seconds, 0);
      const peakOf = (prefix: string) => Math.max(0, ...run.result.stages.filter((s) => s.stage.startsWith(prefix)).map((s) => s.peakRssMiB));
      const c = run.result.counters;
      rows.push([
        int(f.users), label, secs(run.result.seconds), secs(stage('connecting')), secs(stage('reading')), secs(stage('planning')),
        secs(stage('applying')), `${(run.cpu.worker).toFixed(1)}`, run.cpu.database.toFixed(1), run.cpu.samba.toFixed(1),
        run.cpu.otherCores === undefined ? 'n/a' : run.cpu.otherCores.toFixed(1),
        `${mb(run.result.baselineRssMiB)} / ${mb(peakOf('reading'))} / ${mb(peakOf('planning'))} / ${mb(peakOf('applying'))} / ${mb(run.result.vmHwmMiB)}`,
        `${c.created ?? 0}/${c.updated ?? 0}/${c.unchanged ?? 0}/${c.memberAdds ?? 0}/${c.errors ?? 0}`,
        ((s) => `${int(s.select)}/${int(s.insert)}/${int(s.update)}/${int(s.delete)}/${int(s.commit)}`)(run.result.statements),
        ...(live ? [['reading', 'planning', 'applying'].map((prefix) => mb(run.result.stages.find((s) => s.stage.startsWith(prefix))
          ?.liveHeapAtStartMiB)).join(' / ')] : []),
      ]);
    }
  }
  return table(['Users', 'Run', 'Wall', 'Connect', 'Read', 'Plan', 'Apply', 'CPU s sync', 'CPU s MariaDB', 'CPU s Samba',
    'Other load (cores)', 'RSS start / read / plan / apply / VmHWM', 'created/updated/unchanged/member-adds/errors',
    'SQL select/insert/update/delete/commit', ...(live ? ['Live heap at read / plan / apply start'] : [])], rows,
  new Set([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
}

/**
 * Every stage of each run as the sync reported it, in order: a streamed full run's writing goes
 * through users, managers, leavers and groups, which the Read / Plan / Apply columns above lump
 * together (its "applying" is the users' pages only).
 */
export function renderStages(all: readonly NFigures[]): string {
  const rows: string[][] = [];
  for (const f of all) {
    const runs: [string, SyncRun | undefined][] = [[fullLabel(f), f.full], ['full (re-run)', f.rerun], [deltaLabel(f), f.delta]];
    for (const [label, run] of runs) {
      if (!run) continue;
      rows.push([int(f.users), label, run.result.stages
        .map((stage) => `${stage.stage} ${secs(stage.seconds)} (${mb(stage.peakRssMiB)}, heap ${mb(stage.peakHeapMiB)})`).join('; ')]);
    }
  }
  return table(['Users', 'Run', 'Stage time (peak RSS, peak heap)'], rows, new Set([0]));
}

/** The floor reads. */
export function renderFloors(all: readonly NFigures[]): string {
  const rows = all.flatMap((f) => f.floors.map((floor) => (floor.result
    ? [int(f.users), floor.label, String(floor.pageSize), int(floor.result.entries), secs(floor.result.seconds),
      int(rate(floor.result.entries, floor.result.seconds)), floor.cpu ? floor.cpu.worker.toFixed(1) : '',
      floor.cpu ? floor.cpu.samba.toFixed(1) : '', floor.cpu?.otherCores === undefined ? '' : floor.cpu.otherCores.toFixed(1)]
    : [int(f.users), floor.label, String(floor.pageSize), 'n/a', '', '', '', '', floor.error ?? ''])));
  return table(['Users', 'Read', 'Page', 'Entries', 'Time', 'Entries/s', 'CPU s reader', 'CPU s Samba', 'Other load (cores)'], rows,
    new Set([0, 2, 3, 4, 5, 6, 7, 8]));
}
