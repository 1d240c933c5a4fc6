import { expect } from 'chai';
import type { LoadResult } from '../../../bench/load';
import { FLOOR_KEYS, buildRows, renderTable, type Measurement, type ScenarioSpec } from '../../../bench/table';

/** A closed-loop result at `rps` requests per second, every request answered 2xx. */
function result(rps: number): LoadResult {
  return { rps, p50: 1, p99: 5, mean: 1, total: rps * 10, sent: rps * 10, non2xx: 0, errors: 0, statusCodes: { 200: rps * 10 } };
}

const measured = (key: string, rps: number, extra: Partial<Measurement> = {}): Measurement => ({
  key, concurrency: 10, result: result(rps), cpu: {}, ...extra,
});

const FLOORS: ScenarioSpec[] = [
  { key: FLOOR_KEYS.http, label: 'HTTP floor' },
  { key: FLOOR_KEYS.read, label: 'read floor' },
  { key: FLOOR_KEYS.write, label: 'write floor' },
];
const GET: ScenarioSpec = { key: 'get-user', label: 'GET /Users/{id}', floor: 'read', minShareOfFloor: 0.6, openLoopP99Ms: 10 };
const POST: ScenarioSpec = { key: 'create-user', label: 'POST /Users', floor: 'write', minShareOfFloor: 0.35 };
const floorRows = [measured(FLOOR_KEYS.http, 10_000), measured(FLOOR_KEYS.read, 8_000), measured(FLOOR_KEYS.write, 7_000)];

describe('bench table: ratios to the floors', () => {
  it('judges a row against the floor rows when no floor was measured beside it', () => {
    const rows = buildRows([...FLOORS, GET], [...floorRows, measured('get-user', 4_000)], [10]);
    const get = rows.find((row) => row.scenario === GET.label);
    expect(get).to.include({ vsHttp: '40%', vsRead: '50%', vsWrite: '' });
    expect(get?.verdicts).to.deep.equal([{ text: '≥60% of read floor', pass: false }]);
    expect(get?.notes).to.deep.equal([]);
  });

  it('judges a row against the faster of the floor runs beside it, shows that floor and says so in a note', () => {
    const rows = buildRows([...FLOORS, GET, POST], [
      ...floorRows,
      measured('get-user', 4_000, { floorBeside: [6_000, 6_500] }),
      measured('create-user', 1_400, { floorBeside: [4_100, 3_900] }),
    ], [10]);
    const get = rows.find((row) => row.scenario === GET.label);
    // 4,000 / 6,500 = 61.5%, where the read floor row's 8,000 would give 50%. The HTTP floor stays the row above.
    expect(get).to.include({ vsHttp: '40%', vsRead: '62% (6500)' });
    expect(get?.verdicts).to.deep.equal([{ text: '≥60% of read floor', pass: true }]);
    expect(get?.notes).to.have.length(1);
    expect(get?.notes[0]).to.include('vs read floor: to the read floor measured just before and just after this run');
    const post = rows.find((row) => row.scenario === POST.label);
    expect(post).to.include({ vsRead: '', vsWrite: '34% (4100)' }); // 1,400 / 4,100
    expect(post?.verdicts).to.deep.equal([{ text: '≥35% of write floor', pass: false }]);
    const table = renderTable(rows);
    expect(table).to.include('62% (6500)');
    expect(table).to.match(/\[1\] vs read floor: to the read floor measured just before/);
    expect(table).to.match(/\[2\] vs write floor: to the write floor measured just before/);
    expect(table).to.include('Targets: 1 PASS, 1 MISS.');
  });

  it('leaves an open-loop row without ratios, judged by its p99 alone', () => {
    const open = measured('get-user', 2_000, { concurrency: 0, arrivalRate: 2_000, floorBeside: [6_000, 6_500] });
    const rows = buildRows([...FLOORS, GET], [...floorRows, measured('get-user', 4_000), open], [10]);
    const row = rows.find((candidate) => candidate.concurrency === '2000/s');
    expect(row).to.include({ vsHttp: '', vsRead: '' });
    expect(row?.notes).to.deep.equal([]);
    expect(row?.verdicts).to.deep.equal([{ text: 'p99 ≤ 10 ms at half the maximum rate', pass: true }]);
  });
});
