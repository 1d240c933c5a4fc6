import { expect } from 'chai';
import { checkDeleteThreshold } from '../../../sync/guard';
import type { PlanAction, SyncPlan, UserPlanEntry } from '../../../sync/types';

function planOf(counts: Partial<Record<PlanAction, number>>): SyncPlan {
  const users: UserPlanEntry[] = [];
  let n = 0;
  for (const [action, count] of Object.entries(counts) as [PlanAction, number][]) {
    for (let i = 0; i < count; i += 1) {
      n += 1;
      users.push({ action, anchor: `anchor-${n}`, dn: null, userId: `id-${n}`, changes: [] });
    }
  }
  return { users, roles: [] };
}

const DEFAULTS = { threshold: 500, thresholdPercent: 10, storeSize: 10_000, allowDeletes: false };

describe('sync guard: checkDeleteThreshold()', () => {
  const cases: ReadonlyArray<readonly [string, Partial<Record<PlanAction, number>>, Partial<typeof DEFAULTS>, { blocked: boolean; planned: number; limit: number }]> = [
    ['passes a plan without deactivations or deletions', { create: 900, update: 900 }, {}, { blocked: false, planned: 0, limit: 500 }],
    ['passes exactly the count threshold', { deactivate: 500 }, {}, { blocked: false, planned: 500, limit: 500 }],
    ['blocks one over the count threshold', { deactivate: 501 }, {}, { blocked: true, planned: 501, limit: 500 }],
    ['adds deletions to deactivations', { deactivate: 300, delete: 201 }, {}, { blocked: true, planned: 501, limit: 500 }],
    ['does not count other actions', { deactivate: 400, unchanged: 5000, skip: 300, reactivate: 200 }, {}, { blocked: false, planned: 400, limit: 500 }],
    ['uses the percentage when it is lower (10% of 1,000 = 100)', { deactivate: 101 }, { storeSize: 1000 }, { blocked: true, planned: 101, limit: 100 }],
    ['passes exactly the percentage', { delete: 100 }, { storeSize: 1000 }, { blocked: false, planned: 100, limit: 100 }],
    ['rounds the percentage up (10% of 15 = 2)', { deactivate: 2 }, { storeSize: 15 }, { blocked: false, planned: 2, limit: 2 }],
    ['blocks above the rounded-up percentage', { deactivate: 3 }, { storeSize: 15 }, { blocked: true, planned: 3, limit: 2 }],
    ['uses the count when it is lower', { deactivate: 51 }, { threshold: 50, storeSize: 10_000 }, { blocked: true, planned: 51, limit: 50 }],
    ['lets one user of a one-user store go (10% of 1 rounds up to 1)', { deactivate: 1 }, { storeSize: 1 }, { blocked: false, planned: 1, limit: 1 }],
    ['never applies the percentage to an empty store (first run)', { deactivate: 3 }, { storeSize: 0 }, { blocked: false, planned: 3, limit: 500 }],
    ['still applies the count to an empty store', { deactivate: 501 }, { storeSize: 0 }, { blocked: true, planned: 501, limit: 500 }],
    ['lets allowDeletes through over the limit', { deactivate: 5000 }, { allowDeletes: true }, { blocked: false, planned: 5000, limit: 500 }],
    ['blocks every deactivation with a threshold of 0', { deactivate: 1 }, { threshold: 0 }, { blocked: true, planned: 1, limit: 0 }],
    ['blocks every deactivation with a percentage of 0', { delete: 1 }, { thresholdPercent: 0 }, { blocked: true, planned: 1, limit: 0 }],
    ['accepts a fractional percentage (0.5% of 10,000 = 50)', { deactivate: 50 }, { thresholdPercent: 0.5 }, { blocked: false, planned: 50, limit: 50 }],
    ['allows everything with 100%', { deactivate: 10 }, { threshold: 1_000_000, thresholdPercent: 100, storeSize: 10 }, { blocked: false, planned: 10, limit: 10 }],
  ];
  for (const [title, counts, options, expected] of cases) {
    it(title, () => {
      const result = checkDeleteThreshold(planOf(counts), { ...DEFAULTS, ...options });
      expect({ blocked: result.blocked, planned: result.planned, limit: result.limit }).to.deep.equal(expected);
    });
  }

  it('has no reason when under the limit', () => {
    expect(checkDeleteThreshold(planOf({ deactivate: 1 }), DEFAULTS)).to.deep.equal({ blocked: false, planned: 1, limit: 500 });
  });

  it('explains a block by the count threshold', () => {
    const result = checkDeleteThreshold(planOf({ deactivate: 501 }), DEFAULTS);
    expect(result.reason).to.match(/^501 deactivations and deletions are planned, more than the limit of 500 \(the threshold of 500\); nothing was changed/);
  });

  it('explains a block by the percentage', () => {
    const result = checkDeleteThreshold(planOf({ deactivate: 101 }), { ...DEFAULTS, storeSize: 1000 });
    expect(result.reason).to.include('more than the limit of 100 (10% of the 1000 synced users)');
  });

  it('says a run over the limit was allowed', () => {
    const result = checkDeleteThreshold(planOf({ delete: 600 }), { ...DEFAULTS, allowDeletes: true });
    expect(result.blocked).to.equal(false);
    expect(result.reason).to.match(/600 .* limit of 500 .*allowed for this run/);
  });

  const invalid: ReadonlyArray<readonly [string, Partial<typeof DEFAULTS>]> = [
    ['a negative threshold', { threshold: -1 }],
    ['a NaN percentage', { thresholdPercent: Number.NaN }],
    ['an infinite store size', { storeSize: Number.POSITIVE_INFINITY }],
  ];
  for (const [title, options] of invalid) {
    it(`refuses ${title}`, () => {
      expect(() => checkDeleteThreshold(planOf({}), { ...DEFAULTS, ...options })).to.throw(RangeError, /must be a non-negative number/);
    });
  }
});
