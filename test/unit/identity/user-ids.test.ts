import { expect } from 'chai';
import { newUserId, UserIdClock } from '../../../src/identity/user-ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** 16 bytes, all `fill`, with bytes 6-9 (where the counter starts) set to `seed`. */
function randomWith(seed: readonly [number, number, number, number], fill = 0x5a): Uint8Array {
  const bytes = new Uint8Array(16).fill(fill);
  bytes.set(seed, 6);
  return bytes;
}

describe('newUserId', () => {
  it('makes version 7 UUIDs in the lower-case form SCIM ids have had', () => {
    const id = newUserId();
    expect(id).to.match(V7);
  });

  it('sorts ids made one after another in the order they were made, none twice (the users table appends them)', () => {
    // More than one pool of random bytes (256 ids), so that refilling it is crossed too.
    const made = Array.from({ length: 5000 }, () => newUserId());
    expect(new Set(made).size).to.equal(made.length);
    expect([...made].sort()).to.deep.equal(made);
    for (const id of made) expect(id).to.match(V7);
  });
});

describe('UserIdClock', () => {
  const at = Date.UTC(2026, 11, 8, 1, 0, 0);

  it('puts the time in the first 48 bits and the random bytes in the last 40', () => {
    const id = new UserIdClock().next(at, randomWith([0, 0, 0, 1], 0xab));
    const hex = id.replace(/-/g, '');
    expect(parseInt(hex.slice(0, 12), 16)).to.equal(at);
    expect(hex.slice(22)).to.equal('ababababab');
    expect(id).to.match(V7);
  });

  it('orders the ids of one millisecond by a counter that starts from the random bytes', () => {
    const clock = new UserIdClock();
    const ids = [randomWith([0x12, 0x34, 0x56, 0x78], 0xff), randomWith([0, 0, 0, 0], 0x00), randomWith([0x7f, 0xff, 0xff, 0xff], 0x11)]
      .map((random) => clock.next(at, random));
    expect([...ids].sort()).to.deep.equal(ids);
    expect(new Set(ids).size).to.equal(3);
  });

  it('keeps the order across the counter\'s top bit (a counter started at 2^31 - 1)', () => {
    const clock = new UserIdClock();
    const first = clock.next(at, randomWith([0x7f, 0xff, 0xff, 0xff]));
    const second = clock.next(at, randomWith([0, 0, 0, 0]));
    const third = clock.next(at, randomWith([0, 0, 0, 0]));
    expect([first, second, third].sort()).to.deep.equal([first, second, third]);
  });

  it('keeps counting in the last millisecond when the clock steps back, so ids still sort in the order made', () => {
    const clock = new UserIdClock();
    const before = clock.next(at, randomWith([0x7f, 0, 0, 0]));
    const afterStepBack = clock.next(at - 5_000, randomWith([0, 0, 0, 0]));
    expect(afterStepBack > before).to.equal(true);
    expect(parseInt(afterStepBack.replace(/-/g, '').slice(0, 12), 16)).to.equal(at);
  });

  it('starts a new counter from the random bytes in a later millisecond', () => {
    const clock = new UserIdClock();
    const first = clock.next(at, randomWith([0x7f, 0xff, 0xff, 0xf0]));
    const later = clock.next(at + 1, randomWith([0, 0, 0, 0]));
    expect(later > first).to.equal(true);
    // A counter of 0 in the new millisecond: the version nibble then three zero digits.
    expect(later.split('-')[2]).to.equal('7000');
  });
});
