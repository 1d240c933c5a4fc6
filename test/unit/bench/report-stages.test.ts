import { expect } from 'chai';
import type { ChildResult } from '../../../bench/sync/protocol';
import { renderStages, type NFigures, type SyncRun } from '../../../bench/sync/report';

const MIB = 2 ** 20;

/** A run whose stages peaked at `rss` and `heap` bytes. */
function run(stages: { stage: string; seconds: number; rss: number; heap: number }[]): SyncRun {
  const result = {
    stages: stages.map((s, i) => ({ stage: s.stage, startSeconds: i, seconds: s.seconds, peakRssMiB: s.rss / MIB, peakHeapMiB: s.heap / MIB })),
  } as unknown as ChildResult;
  return { result } as unknown as SyncRun;
}

describe('bench:sync report: the stages of each run', () => {
  it('lists every stage of every run in order, with its time, peak RSS and peak heap', () => {
    const figures = {
      users: 100_000, changes: 100,
      full: run([{ stage: 'applying', seconds: 50.3, rss: 196e6, heap: 100e6 }, { stage: 'groups', seconds: 20.1, rss: 205e6, heap: 80e6 }]),
      delta: run([{ stage: 'applying', seconds: 0.21, rss: 147e6, heap: 40e6 }]),
    } as unknown as NFigures;
    const lines = renderStages([figures]).split('\n');
    const full = lines.find((line) => line.includes('full (first)'));
    expect(full).to.include('applying 50.3 s (196 MB, heap 100 MB); groups 20.1 s (205 MB, heap 80 MB)');
    expect(lines.find((line) => line.includes('delta (100)'))).to.include('applying 0.21 s (147 MB, heap 40 MB)');
    expect(lines.some((line) => line.includes('re-run'))).to.equal(false);
  });
});
