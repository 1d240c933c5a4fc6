/**
 * How `scimd doctor` tells what it found: a readable report (one line per check, each failure and
 * warning followed by its fix) or, with --json, the same findings for scripts. Pure: no I/O here.
 */
import type { CheckResult, CheckStatus } from '../diagnosis';

export type StatusCounts = Readonly<Record<CheckStatus, number>>;

/** Failures and warnings catch the eye; ok and skip stay quiet. */
const LABELS: Readonly<Record<CheckStatus, string>> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function countStatuses(results: readonly CheckResult[]): StatusCounts {
  const counts = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/** 0 when nothing failed (warnings and skipped checks allowed), 1 otherwise: the CLI's "failed". */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}

/** The report for a person: a headline, one line per check, the fix under each failure and warning, the counts. */
export function formatReport(results: readonly CheckResult[]): string {
  const counts = countStatuses(results);
  const idWidth = Math.max(0, ...results.map((result) => result.id.length));
  const indent = ' '.repeat(4 + 2 + idWidth + 2);
  const lines = [headline(counts), ''];
  for (const result of results) {
    // A detail of several lines (the configuration's problems, one per line) stays in its column.
    const [first, ...more] = result.detail.split('\n');
    lines.push(`${LABELS[result.status].padEnd(4)}  ${result.id.padEnd(idWidth)}  ${first ?? ''}`, ...more.map((line) => `${indent}${line.trim()}`));
    if (result.fix !== undefined && result.status !== 'ok' && result.status !== 'skip') lines.push(`${indent}fix: ${result.fix}`);
  }
  lines.push('', tally(counts));
  return `${lines.join('\n')}\n`;
}

/** The findings for scripts: `ok` is the exit code's verdict. */
export function formatJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: doctorExitCode(results) === 0, counts: countStatuses(results), checks: results }, null, 2)}\n`;
}

function headline(counts: StatusCounts): string {
  if (counts.fail > 0) return `scimd doctor: ${plural(counts.fail, 'check')} failed; the fix is under each`;
  if (counts.warn > 0) return `scimd doctor: scimd can work with this configuration; ${plural(counts.warn, 'warning')} below`;
  return 'scimd doctor: every check passed';
}

function tally(counts: StatusCounts): string {
  return `${counts.ok} ok, ${plural(counts.warn, 'warning')}, ${counts.fail} failed, ${counts.skip} skipped`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
