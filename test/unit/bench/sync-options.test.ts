import { expect } from 'chai';
import { CommanderError } from 'commander';
import { DEFAULT_DATABASE_URL, parseOptions } from '../../../bench/sync/options';
import { runToExit, usageErrorOf } from './command-line';

/** The command line of `npm run bench:sync` (bench/sync/options.ts), parsed without the process's environment. */
const parse = (...argv: string[]) => parseOptions(argv, {});

/** The usage error that parsing `argv` throws. */
const usageError = (...argv: string[]): CommanderError => usageErrorOf(parse, ...argv);

describe('npm run bench:sync: the command line', () => {
  it('has defaults: 20000 users, 100 changes, five delta runs, one first full run, the cache and the re-run', () => {
    expect(parse()).to.deep.equal({
      users: [20_000], changes: 100, deltaRuns: 5, fullRuns: 1, databaseUrl: DEFAULT_DATABASE_URL, cache: true, rerun: true,
      json: undefined, cpuProf: undefined, liveHeap: false, nodeFlags: [],
    });
  });

  it('reads --users as a comma-separated list, with _ between digits and spaces around the items', () => {
    expect(parse('--users', '5_000, 20000,100_000').users).to.deep.equal([5_000, 20_000, 100_000]);
    expect(parse('--users=50000').users).to.deep.equal([50_000]);
  });

  it('turns off the cache and the re-run, and turns on the live heap', () => {
    expect(parse('--no-cache', '--no-rerun', '--live-heap')).to.include({ cache: false, rerun: false, liveHeap: true });
    expect(parse('--no-rerun')).to.include({ cache: true, rerun: false, liveHeap: false });
  });

  it('takes node flags, which start with dashes themselves, split at spaces', () => {
    expect(parse('--node-flags', ' --max-old-space-size=128  --max-semi-space-size=32', '--changes', '7'))
      .to.deep.include({ nodeFlags: ['--max-old-space-size=128', '--max-semi-space-size=32'], changes: 7 });
    expect(parse('--node-flags=--max-old-space-size=256').nodeFlags).to.deep.equal(['--max-old-space-size=256']);
  });

  it('takes the JSON file, the profiles folder and the database', () => {
    expect(parseOptions(['--json', 'figures.json', '--cpu-prof=/tmp/prof'], { BENCH_DATABASE_URL: 'mariadb://root@db:3306/x_bench' }))
      .to.include({ json: 'figures.json', cpuProf: '/tmp/prof', databaseUrl: 'mysql://root@db:3306/x_bench' });
  });

  it('refuses a count that is not a whole number of at least 1, naming the option and the value', () => {
    expect(usageError('--users', 'abc').message).to.include('--users must be a whole number, not "abc"');
    expect(usageError('--users', '20000,2e4').message).to.include('--users must be a whole number, not "2e4"');
    expect(usageError('--users', '20000,').message).to.include('--users must be a whole number, not ""');
    expect(usageError('--users', '0').message).to.include('--users must be at least 1');
    expect(usageError('--changes', '1.5').message).to.include('--changes must be a whole number, not "1.5"');
    expect(usageError('--changes', '0').message).to.include('--changes must be at least 1');
    expect(usageError('--delta-runs', '0').message).to.include('--delta-runs must be at least 1');
    expect(parse('--delta-runs', '3').deltaRuns).to.equal(3);
    expect(usageError('--full-runs', '0').message).to.include('--full-runs must be at least 1');
    expect(parse('--full-runs', '3').fullRuns).to.equal(3);
  });

  it('refuses an option without its value', () => {
    expect(usageError('--users').message).to.include("option '--users <LIST>' argument missing");
    expect(usageError('--no-cache', '--node-flags').message).to.include("option '--node-flags <F>' argument missing");
  });

  it("refuses an unknown option (--quick is npm run bench's), --cache (the default) and a stray argument", () => {
    const unknown = usageError('--quick');
    expect(unknown.message).to.include("unknown option '--quick'");
    expect(unknown.exitCode).to.equal(1);
    expect(usageError('--cache').message).to.include("unknown option '--cache'");
    expect(usageError('--live-heap', 'yes').message).to.include('too many arguments');
  });

  it('--help prints every option and the environment, and exits 0', () => {
    const { code, stdout } = runToExit(() => parse('--help'));
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Usage: npm run bench:sync -- \[options\]/);
    for (const option of ['--users <LIST>', '--changes <N>', '--delta-runs <N>', '--full-runs <N>', '--no-cache', '--no-rerun', '--json <FILE>', '--cpu-prof <DIR>',
      '--live-heap', '--node-flags <F>']) {
      expect(stdout).to.include(`  ${option} `);
    }
    expect(stdout).to.include(`BENCH_DATABASE_URL    default ${DEFAULT_DATABASE_URL}; DROPPED and recreated`);
    expect(stdout).to.include('BENCH_SYNC_CACHE_DIR  the cache of populated directories');
  });
});
