import { expect } from 'chai';
import type { ReadResult } from '../../../bench/sync/floor';
import type { ChildResult } from '../../../bench/sync/protocol';
import {
  FLOOR_LABEL, fullMedian, fullRunFigures, fullShare, fullShareCell, renderRuns, renderSummary, verdicts,
  type FullRun, type NFigures, type SyncRun,
} from '../../../bench/sync/report';

const USERS = 20_000;

/** A first full run of 20,000 users that took `seconds`, its process peaking at `vmHwmMiB`. */
function fullRun(seconds: number, vmHwmMiB = 200): SyncRun {
  const result = {
    seconds, vmHwmMiB, stages: [], counters: { created: USERS }, statements: { select: 0, insert: 0, update: 0, delete: 0, commit: 0 },
  };
  return { result: result as unknown as ChildResult, cpu: { worker: 0, database: 0, samba: 0 } } as unknown as SyncRun;
}

/** A raw read of the 20,000 users at `perSecond`. */
const read = (perSecond: number): ReadResult => ({ entries: USERS, seconds: USERS / perSecond });

/** The figures of one N whose first full runs were `runs`, judged as the bench judges them. */
function figuresOf(runs: readonly FullRun[], floorsPerSecond: readonly number[] = []): NFigures {
  const median = fullMedian(runs);
  return {
    users: USERS, changes: 100, rows: {}, delta: fullRun(0.3), deltaSeconds: [0.3],
    floors: floorsPerSecond.map((perSecond) => ({ label: FLOOR_LABEL, pageSize: 1000, result: read(perSecond) })),
    full: median.run, ...(median.raw ? { fullRaw: median.raw } : {}), fullRuns: fullRunFigures(runs),
  } as unknown as NFigures;
}

describe('bench:sync report: the first full run as the median of several, each beside its own raw read', () => {
  it('takes each run\'s ratio to the read beside it, not to the fastest read of the bench', () => {
    // 10 s for 20,000 users is 2,000/s: 50% of a 4,000/s read, 40% of a 5,000/s one.
    expect(fullShare(fullRun(10), read(4000))).to.be.closeTo(0.5, 1e-9);
    expect(fullShare(fullRun(10), read(5000))).to.be.closeTo(0.4, 1e-9);
    expect(fullShare(fullRun(10), undefined)).to.equal(undefined);
  });

  it('picks the run of median ratio whatever the order, the lower middle one of an even count, and refuses none', () => {
    const slowMachine = { run: fullRun(12), raw: read(2500) }; // 1,667/s over 2,500/s: 67%
    const fastMachine = { run: fullRun(8), raw: read(5000) }; // 2,500/s over 5,000/s: 50%
    const between = { run: fullRun(10), raw: read(3500) }; // 2,000/s over 3,500/s: 57%
    expect(fullMedian([slowMachine, fastMachine, between])).to.equal(between);
    expect(fullMedian([between, slowMachine, fastMachine])).to.equal(between);
    expect(fullMedian([slowMachine, fastMachine])).to.equal(fastMachine);
    const unread = { run: fullRun(1), raw: undefined };
    expect(fullMedian([unread, slowMachine])).to.equal(unread);
    expect(() => fullMedian([])).to.throw(RangeError);
  });

  it('shows the median ratio with the range of the runs, and judges the target on the median', () => {
    const figures = figuresOf([
      { run: fullRun(12), raw: read(2500) }, { run: fullRun(13), raw: read(4000) }, { run: fullRun(10.5), raw: read(4000) },
    ]);
    // The median run: 1,905/s over 4,000/s, 48%; the others 67% and 38%.
    expect(fullShareCell(figures)).to.equal('48% (median of 3: 38%-67%)');
    expect(verdicts(figures, undefined)[0]).to.deep.equal({ pass: false, text: 'full sync ≥ 50% of raw read' });
    const summary = renderSummary([figures], () => undefined);
    expect(summary).to.include('48% (median of 3: 38%-67%)');
    expect(summary).to.include('10.5 s');
    expect(renderRuns([figures])).to.include('full (first), median of 3');
  });

  it('shows a single run\'s ratio alone, and judges figures saved before --full-runs against the fastest read', () => {
    const single = figuresOf([{ run: fullRun(10), raw: read(4000) }], [9000]);
    expect(fullShareCell(single)).to.equal('50%');
    expect(verdicts(single, undefined)[0]?.pass).to.equal(true);
    expect(renderRuns([single])).to.include('| full (first) ');
    const { fullRaw: _raw, fullRuns: _runs, ...saved } = single;
    expect(fullShareCell(saved as NFigures), 'the fastest of the run: 2,000/s over 9,000/s').to.equal('22%');
  });

  it('judges peak RSS at 100,000 users on the highest of the runs, each a process of its own', () => {
    const runs = [{ run: fullRun(10, 250), raw: read(4000) }, { run: fullRun(11, 290), raw: read(4000) }, { run: fullRun(9, 240), raw: read(4000) }];
    const figures = { ...figuresOf(runs), users: 100_000 } as NFigures;
    const rss = verdicts(figures, undefined).find((verdict) => verdict.text.startsWith('peak RSS'));
    expect(rss).to.deep.equal({ pass: false, text: 'peak RSS < 300 MB' }); // 290 MiB is 304 MB
    expect(renderSummary([figures], () => undefined)).to.include('304 MB');
  });
});
