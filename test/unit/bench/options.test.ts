import { expect } from 'chai';
import { CommanderError } from 'commander';
import { DEFAULT_DATABASE_URL, parseOptions } from '../../../bench/options';
import { runToExit, usageErrorOf } from './command-line';

/** The command line of `npm run bench` (bench/options.ts), parsed without the process's environment. */
const parse = (...argv: string[]) => parseOptions(argv, {});

/** The usage error that parsing `argv` throws. */
const usageError = (...argv: string[]): CommanderError => usageErrorOf(parse, ...argv);

describe('npm run bench: the command line', () => {
  it('has defaults for a full run', () => {
    expect(parse()).to.deep.equal({
      users: 100_000, spare: 20_000, duration: 10, warmup: 2, concurrency: [10, 50], databaseUrl: DEFAULT_DATABASE_URL,
      only: undefined, json: undefined, quick: false, principalCacheMs: undefined,
    });
  });

  it('--quick makes a smoke run, whose defaults the options given still override', () => {
    const quick = parse('--quick');
    expect(quick).to.include({ quick: true, users: 10_000, spare: 5_000, duration: 3, warmup: 1 });
    expect(quick.concurrency).to.deep.equal([10, 50]);
    // The spare pool follows the users given: a fifth of them, at least 5000.
    expect(parse('--quick', '--users', '60000', '--duration', '7')).to.include({ users: 60_000, spare: 12_000, duration: 7, warmup: 1 });
    expect(parse('--users', '1000', '--spare', '300')).to.include({ users: 1_000, spare: 300 });
  });

  it('reads comma-separated lists, with spaces around the items and empty keys dropped', () => {
    const options = parse('--concurrency', ' 1, 5 ,20', '--only', 'get-user,, create-user ,');
    expect(options.concurrency).to.deep.equal([1, 5, 20]);
    expect(options.only).to.deep.equal(['get-user', 'create-user']);
  });

  it('takes a value after the option or after "=", the last of a repeated option, and 0 where 0 means something', () => {
    expect(parse('--json=out.json', '--principal-cache-ms', '0', '--warmup=0', '--users', '5', '--users', '7'))
      .to.include({ json: 'out.json', principalCacheMs: 0, warmup: 0, users: 7 });
  });

  it('takes the database from BENCH_DATABASE_URL', () => {
    expect(parseOptions([], { BENCH_DATABASE_URL: 'mysql://u@db:3306/x_bench' }).databaseUrl).to.equal('mysql://u@db:3306/x_bench');
    expect(parseOptions([], { BENCH_DATABASE_URL: '' }).databaseUrl).to.equal(DEFAULT_DATABASE_URL);
  });

  it('refuses a number that is not whole, naming the option and the value', () => {
    expect(usageError('--users', 'abc').message).to.include('--users must be a whole number, not "abc"');
    expect(usageError('--duration=2.5').message).to.include('--duration must be a whole number, not "2.5"');
    expect(usageError('--warmup', '-1').message).to.include('--warmup must be a whole number, not "-1"');
    expect(usageError('--principal-cache-ms', '1e3').message).to.include('--principal-cache-ms must be a whole number, not "1e3"');
    expect(usageError('--concurrency', '10,x').message).to.include('--concurrency must be a whole number, not "x"');
    expect(usageError('--concurrency', '10,').message).to.include('--concurrency must be a whole number, not ""');
  });

  it('refuses 0 where at least 1 is needed', () => {
    for (const option of ['--users', '--spare', '--duration']) {
      expect(usageError(option, '0').message).to.include(`${option} must be at least 1`);
    }
    expect(usageError('--concurrency', '10,0').message).to.include('--concurrency must be at least 1');
  });

  it('refuses an option without its value', () => {
    expect(usageError('--users').message).to.include("option '--users <N>' argument missing");
    expect(usageError('--quick', '--json').message).to.include("option '--json <FILE>' argument missing");
  });

  it('refuses an unknown option, a value for --quick and a stray argument', () => {
    const unknown = usageError('--user', '5');
    expect(unknown.message).to.include("unknown option '--user'");
    expect(unknown.exitCode).to.equal(1);
    expect(usageError('--quick=yes').message).to.include("unknown option '--quick=yes'");
    expect(usageError('--quick', '5000').message).to.include('too many arguments');
  });

  it('--help prints every option and the environment, and exits 0', () => {
    for (const help of ['--help', '-h']) {
      const { code, stdout } = runToExit(() => parse('--quick', help));
      expect(code).to.equal(0);
      expect(stdout).to.match(/^Usage: npm run bench -- \[options\]/);
      for (const option of ['--users <N>', '--spare <N>', '--duration <S>', '--warmup <S>', '--concurrency <LIST>', '--only <LIST>',
        '--json <FILE>', '--quick', '--principal-cache-ms <N>']) {
        expect(stdout).to.include(`  ${option} `);
      }
      expect(stdout).to.include(`environment: BENCH_DATABASE_URL (default ${DEFAULT_DATABASE_URL}); the database is DROPPED`);
      expect(stdout).to.include('BENCH_LOG_LEVEL (default silent;');
    }
  });
});
