import type { CpuCost } from './cpu';
import type { LoadResult } from './load';

/** How a scenario is compared and judged. */
export interface ScenarioSpec {
  readonly key: string;
  readonly label: string;
  /** Which floor the scenario's req/s is compared with, besides the HTTP floor. */
  readonly floor?: 'read' | 'write';
  /** Minimum req/s as a share of that floor (a target), e.g. 0.6. */
  readonly minShareOfFloor?: number;
  /**
   * The p99 limit (ms) at a fixed arrival rate of half the scenario's measured maximum (open loop):
   * issue 10 asks ≤ 10 ms for reads, ≤ 20 ms for writes.
   */
  readonly openLoopP99Ms?: number;
  /** Compared with another scenario's cost (req/s ratio), e.g. 100k-member PATCH vs 10-member PATCH. */
  readonly costVersus?: { readonly key: string; readonly max: number; readonly label: string };
  /** Printed instead of figures when the scenario could not run (e.g. cursor paging not supported yet). */
  readonly unavailable?: string;
}

export interface Measurement {
  readonly key: string;
  readonly concurrency: number;
  readonly result: LoadResult;
  readonly cpu: CpuCost;
  /** Notes for the row, e.g. fewer real member additions than requests. */
  readonly notes?: string[];
  /** Set for an open-loop run: the fixed arrival rate, requests per second. */
  readonly arrivalRate?: number;
  /**
   * The scenario's floor (read or write) measured just before and just after this run, at the same
   * connections: req/s of each. Its ratio to the floor is taken against the faster of the two.
   */
  readonly floorBeside?: readonly number[];
}

export const FLOOR_KEYS = { http: 'floor-http', read: 'floor-read', write: 'floor-write' } as const;

export interface Verdict {
  readonly text: string;
  readonly pass: boolean;
}

export interface TableRow {
  readonly scenario: string;
  readonly concurrency: number | string;
  readonly rps: string;
  readonly p50: string;
  readonly p99: string;
  readonly vsHttp: string;
  readonly vsRead: string;
  readonly vsWrite: string;
  readonly serverCpu: string;
  readonly databaseCpu: string;
  readonly busyElsewhere: string;
  readonly failures: string;
  readonly verdicts: Verdict[];
  readonly notes: string[];
}

export function buildRows(specs: readonly ScenarioSpec[], measurements: readonly Measurement[], concurrency: readonly number[]): TableRow[] {
  const find = (key: string, c: number) => measurements.find((m) => m.key === key && m.concurrency === c && m.arrivalRate === undefined);
  const rows: TableRow[] = [];
  for (const spec of specs) {
    if (spec.unavailable !== undefined) {
      for (const c of concurrency) {
        rows.push({ scenario: spec.label, concurrency: c, rps: 'n/a', p50: 'n/a', p99: 'n/a', vsHttp: 'n/a', vsRead: '',
          vsWrite: '', serverCpu: '', databaseCpu: '', busyElsewhere: '', failures: '', verdicts: [], notes: [spec.unavailable] });
      }
      continue;
    }
    const openLoop = measurements.filter((m) => m.key === spec.key && m.arrivalRate !== undefined);
    for (const m of [...concurrency.map((c) => find(spec.key, c)), ...openLoop]) {
      if (!m) continue;
      const c = m.concurrency;
      const r = m.result;
      const share = (floorKey: string) => {
        if (m.arrivalRate !== undefined) return undefined;
        const rps = floorKey !== FLOOR_KEYS.http && m.floorBeside?.length ? Math.max(...m.floorBeside) : find(floorKey, c)?.result.rps;
        return rps !== undefined && rps > 0 ? r.rps / rps : undefined;
      };
      const verdicts: Verdict[] = [];
      const httpShare = spec.key === FLOOR_KEYS.http ? undefined : share(FLOOR_KEYS.http);
      const readShare = spec.floor === 'read' ? share(FLOOR_KEYS.read) : undefined;
      const writeShare = spec.floor === 'write' ? share(FLOOR_KEYS.write) : undefined;
      const floorShare = spec.floor === 'read' ? readShare : writeShare;
      const open = m.arrivalRate !== undefined;
      if (spec.minShareOfFloor !== undefined && floorShare !== undefined && !open) {
        verdicts.push({ text: `≥${percent(spec.minShareOfFloor)} of ${spec.floor} floor`, pass: floorShare >= spec.minShareOfFloor });
      }
      if (spec.openLoopP99Ms !== undefined && open) {
        verdicts.push({ text: `p99 ≤ ${spec.openLoopP99Ms} ms at half the maximum rate`, pass: r.p99 <= spec.openLoopP99Ms && r.total > 0 });
      }
      if (spec.costVersus && !open) {
        const other = find(spec.costVersus.key, c);
        if (other && r.rps > 0) {
          const ratio = other.result.rps / r.rps;
          verdicts.push({ text: `${spec.costVersus.label} ${ratio.toFixed(2)}× (≤ ${spec.costVersus.max}×)`, pass: ratio <= spec.costVersus.max });
        }
      }
      const failed = r.non2xx + r.errors;
      const notes = [...(m.notes ?? [])];
      if (spec.floor && m.floorBeside?.length && m.arrivalRate === undefined) notes.push(floorBesideNote(spec.floor));
      // autocannon reports latencies of completed requests only: none completed, none to report.
      if (r.total === 0) notes.push('no request completed within the run: each took longer than the run itself');
      rows.push({
        scenario: spec.label,
        concurrency: open ? `${m.arrivalRate}/s` : c,
        rps: r.rps.toFixed(0),
        p50: r.total === 0 ? '—' : String(r.p50),
        p99: r.total === 0 ? '—' : String(r.p99),
        vsHttp: httpShare === undefined ? '' : percent(httpShare),
        vsRead: readShare === undefined ? '' : `${percent(readShare)}${besideFigure(m, spec.floor === 'read')}`,
        vsWrite: writeShare === undefined ? '' : `${percent(writeShare)}${besideFigure(m, spec.floor === 'write')}`,
        serverCpu: milliseconds(m.cpu.serverMsPerRequest),
        databaseCpu: milliseconds(m.cpu.databaseMsPerRequest),
        busyElsewhere: m.cpu.otherCores === undefined ? '' : m.cpu.otherCores.toFixed(1),
        failures: failed === 0 ? '0' : `${failed} (${describeCodes(r)})`,
        verdicts,
        notes,
      });
    }
  }
  return rows;
}

/** One Markdown table (readable as plain text too), followed by the notes its rows refer to. */
export function renderTable(rows: readonly TableRow[]): string {
  const notes: string[] = [];
  const header = ['Scenario', 'Conc.', 'req/s', 'p50 ms', 'p99 ms', 'vs HTTP floor', 'vs read floor', 'vs write floor',
    'CPU ms/req node', 'CPU ms/req db', 'Other load (cores)', 'Failed', 'Targets'];
  const body = rows.map((row) => {
    const marks = row.notes.map((note) => {
      let index = notes.indexOf(note);
      if (index < 0) index = notes.push(note) - 1;
      return `[${index + 1}]`;
    });
    const targets = row.verdicts.map((v) => `${v.pass ? 'PASS' : 'MISS'} ${v.text}`).join('; ');
    return [row.scenario + (marks.length > 0 ? ` ${marks.join('')}` : ''), String(row.concurrency), row.rps, row.p50, row.p99,
      row.vsHttp, row.vsRead, row.vsWrite, row.serverCpu, row.databaseCpu, row.busyElsewhere, row.failures, targets];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const line = (cells: string[]) => `| ${cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0)
    : cell.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const verdicts = rows.flatMap((row) => row.verdicts);
  const passed = verdicts.filter((v) => v.pass).length;
  return [
    line(header), rule, ...body.map(line), '',
    ...notes.map((note, i) => `[${i + 1}] ${note}`),
    ...(notes.length > 0 ? [''] : []),
    `Targets: ${passed} PASS, ${verdicts.length - passed} MISS.`,
  ].join('\n');
}

/** One note for every row whose ratio is to the floor measured beside it (the cell shows that floor's req/s). */
function floorBesideNote(floor: 'read' | 'write'): string {
  return `vs ${floor} floor: to the ${floor} floor measured just before and just after this run, at the same connections `
    + '(the faster of the two; its req/s in brackets), not to the floor rows above, measured minutes away';
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

/** ` (6834)`: the req/s of the floor measured beside the run, when the share was taken against it. */
function besideFigure(m: Measurement, ownFloor: boolean): string {
  return ownFloor && m.floorBeside?.length && m.arrivalRate === undefined ? ` (${Math.max(...m.floorBeside).toFixed(0)})` : '';
}

function milliseconds(value: number | undefined): string {
  return value === undefined ? '' : value.toFixed(value < 10 ? 2 : 0);
}

function describeCodes(r: LoadResult): string {
  const codes = Object.entries(r.statusCodes).filter(([code]) => !code.startsWith('2')).map(([code, n]) => `${n}×${code}`);
  if (r.errors > 0) codes.push(`${r.errors} errors`);
  return codes.join(', ');
}
