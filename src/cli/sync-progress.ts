import { Presets, SingleBar } from 'cli-progress';
import type { SyncProgressCounts } from '../../sync/progress';
import { note } from './output';

/** How often the plain (not a terminal) output writes a counts line. */
const PLAIN_EVERY_MS = 5000;

/**
 * `scimd sync run`'s progress on stderr: on a terminal, a bar (phase, read, planned, applied, rate,
 * ETA against the store's AD users, when it holds any); otherwise plain lines, one per stage and
 * one every few seconds with the counts, so a log stays readable.
 */
export interface SyncProgressView {
  stage(stage: string): void;
  counts(counts: SyncProgressCounts): void;
  /** Clears the bar (the result or the error replaces it). */
  stop(): void;
}

export function syncProgressView(terminal: boolean): SyncProgressView {
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const rate = (counts: SyncProgressCounts): number => Math.round(counts.read / Math.max((Date.now() - started) / 1000, 0.001));
  if (!terminal) {
    let lastCounts = 0;
    return {
      stage: (stage) => note(`sync: ${stage} (${elapsed()})`),
      counts: (counts) => {
        if (counts.phase === 'users' && Date.now() - lastCounts < PLAIN_EVERY_MS) return;
        lastCounts = Date.now();
        note(`sync: ${counts.phase}: read ${counts.read}, planned ${counts.planned}, applied ${counts.applied}, ${rate(counts)} users/s (${elapsed()})`);
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({
    stream: process.stderr, clearOnComplete: true, hideCursor: true, etaBuffer: 20, fps: 5,
    format: 'sync: {stage} [{bar}] {percentage}% | read {value} | planned {planned} | applied {applied} | {rate} users/s | ETA {eta_formatted}',
  }, Presets.shades_classic);
  let running = false;
  const payload = { stage: 'starting', planned: 0, applied: 0, rate: 0 };
  const ensureStarted = (total: number, value: number): void => {
    if (running) return;
    running = true;
    bar.start(total, value, payload);
  };
  return {
    stage: (stage) => {
      payload.stage = stage;
      ensureStarted(1, 0);
      bar.update(payload);
    },
    counts: (counts) => {
      // The store's AD users are the estimate; a read that finds more raises it.
      const total = Math.max(counts.expected, counts.read, 1);
      ensureStarted(total, counts.read);
      bar.setTotal(counts.phase === 'users' ? total : counts.read || 1);
      Object.assign(payload, { stage: counts.phase, planned: counts.planned, applied: counts.applied, rate: rate(counts) });
      bar.update(counts.read, payload);
    },
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
