import { expect } from 'chai';
import type { ChildResult } from '../../../bench/sync/protocol';
import { deltaCell, deltaMedian, renderRuns, renderSummary, type NFigures, type SyncRun } from '../../../bench/sync/report';

/** A delta run that took `seconds`, told apart by `tag` (its updated count). */
function run(seconds: number, tag = 0): SyncRun {
  const result = { seconds, stages: [], counters: { updated: tag }, statements: { select: 0, insert: 0, update: 0, delete: 0, commit: 0 } };
  return { result: result as unknown as ChildResult, cpu: { worker: 0, database: 0, samba: 0 } } as unknown as SyncRun;
}

describe('bench:sync report: the delta as the median of several runs', () => {
  it('takes the run of median wall time, whatever order the runs came in', () => {
    const runs = [run(0.45, 1), run(0.26, 2), run(0.31, 3), run(0.90, 4), run(0.29, 5)];
    expect(deltaMedian(runs).result.counters.updated).to.equal(3);
    expect(deltaMedian([run(0.5, 1)]).result.counters.updated).to.equal(1);
  });

  it('takes the lower of the two middle runs when the count is even, and refuses none', () => {
    expect(deltaMedian([run(0.4, 1), run(0.2, 2), run(0.3, 3), run(0.1, 4)]).result.counters.updated).to.equal(2);
    expect(() => deltaMedian([])).to.throw(RangeError);
  });

  it('shows the median with the range of the runs, or the single run alone', () => {
    expect(deltaCell({ delta: run(0.31), deltaSeconds: [0.45, 0.26, 0.31, 0.9, 0.29] })).to.equal('0.31 s (median of 5: 0.26-0.90 s)');
    expect(deltaCell({ delta: run(0.31), deltaSeconds: [0.31] })).to.equal('0.31 s');
    expect(deltaCell({ delta: run(0.31) })).to.equal('0.31 s');
  });

  it('judges the growth from 20,000 users on the medians, and names the median in the run table', () => {
    const figures = (users: number, delta: SyncRun, deltaSeconds: number[]) => ({
      users, changes: 100, floors: [], rows: {}, delta, deltaSeconds,
      full: { result: { seconds: 10, counters: { created: users }, stages: [], statements: run(0).result.statements }, cpu: run(0).cpu },
    }) as unknown as NFigures;
    const big = figures(100_000, run(0.42), [0.42, 0.60, 0.40]);
    const summary = renderSummary([big], () => ({ seconds: 0.30, from: 'this run' }));
    expect(summary).to.include('0.42 s (median of 3: 0.40-0.60 s)');
    expect(summary).to.include('PASS delta 1.40× the 20k figure');
    expect(renderSummary([big], () => ({ seconds: 0.25, from: 'this run' }))).to.include('MISS delta 1.68× the 20k figure');
    expect(renderRuns([big])).to.include('delta (100), median of 3');
  });
});
