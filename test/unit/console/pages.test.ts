import { expect } from 'chai';
import type { SyncConfig } from '../../../src/config';
import { nextRuns } from '../../../src/console/pages/dashboard';
import { sourceLabel } from '../../../src/console/pages/roles';
import { totalOf } from '../../../src/console/pages/runs';
import type { SyncCounters } from '../../../src/governance/sync-runs';

const counters: SyncCounters = {
  read: 900, unchanged: 800, created: 4, updated: 30, deactivated: 2, deleted: 1, reactivated: 0, skipped: 3, errors: 5, memberAdds: 7, memberRemoves: 6,
};

describe('console pages', () => {
  describe('nextRuns()', () => {
    const sync = { scheduleDelta: '*/30 * * * *', scheduleFull: '0 2 * * *' } as Pick<SyncConfig, 'scheduleDelta' | 'scheduleFull'>;

    it('computes when each configured schedule fires next after now', () => {
      const now = new Date(2026, 0, 31, 23, 45, 10);
      const next = nextRuns(sync as SyncConfig, now);
      expect(next.map((item) => [item.mode, item.expression])).to.deep.equal([['delta', '*/30 * * * *'], ['full', '0 2 * * *']]);
      expect(new Date(next[0]?.next ?? '').getTime()).to.equal(new Date(2026, 1, 1, 0, 0, 0).getTime());
      expect(new Date(next[1]?.next ?? '').getTime()).to.equal(new Date(2026, 1, 1, 2, 0, 0).getTime());
    });

    it('lists nothing without the sync or without schedules', () => {
      expect(nextRuns(undefined, new Date(2026, 0, 1))).to.deep.equal([]);
      expect(nextRuns({} as SyncConfig, new Date(2026, 0, 1))).to.deep.equal([]);
    });
  });

  describe('totalOf()', () => {
    it('adds the counters of the chosen actions, which equal their entries', () => {
      expect(totalOf(counters, ['error', 'skip'])).to.equal(8);
      expect(totalOf(counters, ['member-add'])).to.equal(7);
    });

    it('counts every action (not read or unchanged) when none is chosen', () => {
      expect(totalOf(counters, undefined)).to.equal(58);
      expect(totalOf(counters, [])).to.equal(58);
    });
  });

  describe('sourceLabel()', () => {
    it('names who granted a role in words', () => {
      expect(['ad', 'scim', 'local', 'other'].map(sourceLabel)).to.deep.equal(['Active Directory', 'identity provider (SCIM)', 'admin', 'other']);
    });
  });
});
