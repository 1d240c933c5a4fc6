import { expect } from 'chai';
import { DomainError } from '../../../src/errors';
import { outagesAsUnavailable } from '../../../src/http/database-outage';

/** The smallest store shape the wrapper sees: methods that answer, fail, or lose the database. */
class FakeStore {
  readonly name = 'fake';
  answer(value: number): Promise<number> {
    return Promise.resolve(value * 2);
  }
  lose(): Promise<never> {
    return Promise.reject(Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST', fatal: true,
    }));
  }
  refuse(): Promise<never> {
    return Promise.reject(new DomainError('conflict', 'userName "x" is already taken'));
  }
}

describe('outagesAsUnavailable()', () => {
  const store = outagesAsUnavailable(new FakeStore());

  it('passes answers and plain properties through', async () => {
    expect(await store.answer(21)).to.equal(42);
    expect(store.name).to.equal('fake');
  });

  it('turns a lost database into the unavailable domain error (a Bulk operation reports 503, not 500)', async () => {
    const error: unknown = await store.lose().catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(DomainError);
    expect((error as DomainError).kind).to.equal('unavailable');
  });

  it('leaves every other error as it was', async () => {
    const error: unknown = await store.refuse().catch((caught: unknown) => caught);
    expect((error as DomainError).kind).to.equal('conflict');
  });
});
