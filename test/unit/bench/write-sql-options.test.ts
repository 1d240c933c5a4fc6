import { expect } from 'chai';
import { DEFAULT_DATABASE_URL } from '../../../bench/options';
import { parseWriteSqlOptions } from '../../../bench/write-sql-options';
import { runToExit, usageErrorOf } from './command-line';

/** The command line of bench/write-sql.bench.ts, parsed without the process's environment. */
const parse = (...argv: string[]) => parseWriteSqlOptions(argv, {});

describe('bench/write-sql.bench.ts: the command line', () => {
  it('has defaults, and a database of its own beside the bench\'s', () => {
    expect(parse()).to.deep.equal({ users: 10_000, slices: 6, slice: 2, connections: 10, databaseUrl: `${DEFAULT_DATABASE_URL}_writesql` });
    expect(parseWriteSqlOptions([], { BENCH_DATABASE_URL: 'mysql://u@db:3306/x_bench' }).databaseUrl)
      .to.equal('mysql://u@db:3306/x_bench_writesql');
  });

  it('takes each option\'s value', () => {
    expect(parse('--users', '500', '--slices=3', '--slice', '1', '--connections', '50'))
      .to.deep.include({ users: 500, slices: 3, slice: 1, connections: 50 });
  });

  it('refuses what is not a whole number of at least 1, unknown options and stray arguments', () => {
    expect(usageErrorOf(parse, '--slices', '0').message).to.include('--slices must be at least 1');
    expect(usageErrorOf(parse, '--slice', '1.5').message).to.include('--slice must be a whole number, not "1.5"');
    expect(usageErrorOf(parse, '--connection', '5').message).to.include("unknown option '--connection'");
    expect(usageErrorOf(parse, 'extra').message).to.include('too many arguments');
  });

  it('--help names every option and exits 0', () => {
    const { code, stdout } = runToExit(() => parse('--help'));
    expect(code).to.equal(0);
    for (const option of ['--users <N>', '--slices <N>', '--slice <S>', '--connections <N>']) expect(stdout).to.include(option);
  });
});
