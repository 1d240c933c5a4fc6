import { expect } from 'chai';
import { readAhead } from '../../../sync/read-ahead';

/** A source that logs when each item is asked for, and can fail at one. */
async function* source(log: string[], count: number, failAt?: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i += 1) {
    log.push(`asked ${i}`);
    if (i === failAt) throw new Error(`page ${i} failed`);
    yield i;
  }
}

describe('sync read-ahead', () => {
  it('yields every item in order', async () => {
    const seen: number[] = [];
    for await (const item of readAhead(source([], 4))) seen.push(item);
    expect(seen).to.deep.equal([0, 1, 2, 3]);
  });

  it('asks for the next item before the caller has finished with the current one', async () => {
    const log: string[] = [];
    for await (const item of readAhead(source(log, 3))) {
      await Promise.resolve();
      log.push(`worked ${item}`);
    }
    expect(log.indexOf('asked 1')).to.be.below(log.indexOf('worked 0'));
    expect(log.indexOf('asked 2')).to.be.below(log.indexOf('worked 1'));
  });

  it('passes a failure on to the caller at the item that failed, after the items before it', async () => {
    const seen: number[] = [];
    const failure = await (async () => {
      for await (const item of readAhead(source([], 5, 2))) seen.push(item);
    })().then(() => undefined, (error: unknown) => error);
    expect(seen).to.deep.equal([0, 1]);
    expect(String(failure)).to.include('page 2 failed');
  });

  it('stops the source when the caller stops early', async () => {
    const log: string[] = [];
    for await (const item of readAhead(source(log, 10))) if (item === 1) break;
    expect(log).to.not.include('asked 3');
  });
});
