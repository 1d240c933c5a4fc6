import { expect } from 'chai';
import type { Entry } from 'ldapts';
import {
  MEMBER_RANGE_SIZE, parseRangedName, rangedAttribute, rangedChunk, readRemainingRanges,
} from '../../../../sync/ldap/member-ranges';
import { FakeLdap, rangedMemberAttribute } from './fake-ldap';

const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `CN=u${i},OU=x,DC=example,DC=test`);

/** Reads a whole member list the way source.ts does: first chunk from the group's own search, then ranges. */
async function readAll(list: readonly string[], maxValRange: number | null, size = MEMBER_RANGE_SIZE): Promise<{ values: string[]; requests: string[] }> {
  const fake = new FakeLdap((search) => [rangedMemberAttribute(list, search.options.attributes?.[0] ?? '', maxValRange)]);
  const first = rangedMemberAttribute(list, rangedAttribute('member', 0, size), maxValRange);
  const values = await readRemainingRanges(fake, 'CN=g', 'member', rangedChunk(first, 'member'), size);
  return { values, requests: fake.searches.map((s) => s.options.attributes?.[0] ?? '') };
}

describe('sync/ldap/member-ranges', () => {
  describe('parseRangedName', () => {
    it('splits the range option off', () => {
      expect(parseRangedName('member;range=0-1499')).to.deep.equal({ base: 'member', range: { low: 0, high: 1499 } });
      expect(parseRangedName('member;range=3000-*')).to.deep.equal({ base: 'member', range: { low: 3000, high: null } });
      expect(parseRangedName('Member;Range=5-5')).to.deep.equal({ base: 'Member', range: { low: 5, high: 5 } });
      expect(parseRangedName('member')).to.deep.equal({ base: 'member', range: null });
      expect(parseRangedName('member;binary;range=0-9')).to.deep.equal({ base: 'member;binary', range: { low: 0, high: 9 } });
    });

    it('refuses a range whose end is before its start', () => {
      expect(() => parseRangedName('member;range=10-9')).to.throw(/invalid range/);
    });
  });

  describe('rangedAttribute', () => {
    it('asks for size values from low', () => {
      expect(rangedAttribute('member', 0)).to.equal('member;range=0-1499');
      expect(rangedAttribute('member', 1500)).to.equal('member;range=1500-2999');
      expect(rangedAttribute('member', 7, 1)).to.equal('member;range=7-7');
    });

    it('refuses negative starts and empty sizes', () => {
      expect(() => rangedAttribute('member', -1)).to.throw(RangeError);
      expect(() => rangedAttribute('member', 0, 0)).to.throw(RangeError);
      expect(() => rangedAttribute('member', 1.5)).to.throw(RangeError);
    });
  });

  describe('rangedChunk', () => {
    it('reads a middle chunk, the last chunk, an unranged attribute, and absence', () => {
      const middle: Entry = { dn: 'CN=g', 'member;range=0-1': ['a', 'b'] };
      expect(rangedChunk(middle, 'member')).to.deep.include({ found: true, values: ['a', 'b'], next: 2 });
      const last: Entry = { dn: 'CN=g', 'member;range=2-*': 'c' };
      expect(rangedChunk(last, 'member')).to.deep.include({ found: true, values: ['c'], next: null });
      const whole: Entry = { dn: 'CN=g', member: ['a', 'b', 'c'] };
      expect(rangedChunk(whole, 'member')).to.deep.include({ found: true, values: ['a', 'b', 'c'], next: null });
      expect(rangedChunk({ dn: 'CN=g', cn: 'g' }, 'member')).to.deep.include({ found: false, next: null });
    });

    it('treats a requested attribute that came back empty as absent (ldapts fills those in)', () => {
      const filledIn: Entry = { dn: 'CN=g', 'member;range=0-1499': [] };
      expect(rangedChunk(filledIn, 'member')).to.deep.include({ found: false, values: [], next: null });
    });

    it('matches the attribute name case-insensitively and ignores other attributes', () => {
      const entry: Entry = { dn: 'CN=g', 'Member;Range=0-*': ['a'], memberOf: ['x'], cn: 'g' };
      expect(rangedChunk(entry, 'member')).to.deep.include({ values: ['a'], next: null });
    });
  });

  describe('readRemainingRanges', () => {
    for (const n of [0, 1, 2, 999, 1000, 1001, 1499, 1500, 1501, 2999, 3000, 3001, 4567]) {
      it(`reads ${n} members completely from AD (MaxValRange 1500)`, async () => {
        const list = members(n);
        const { values, requests } = await readAll(list, 1500);
        expect(values).to.deep.equal(list);
        expect(requests).to.have.length(Math.max(0, Math.ceil(n / 1500) - 1));
      });
    }

    for (const n of [0, 1, 1500, 1501, 3001]) {
      it(`reads ${n} members from a server that does not truncate`, async () => {
        const list = members(n);
        expect((await readAll(list, null)).values).to.deep.equal(list);
      });
    }

    it('follows a server that returns fewer values than asked (MaxValRange 1000 < 1500 asked)', async () => {
      const list = members(3456);
      const { values, requests } = await readAll(list, 1000);
      expect(values).to.deep.equal(list);
      expect(requests).to.deep.equal(['member;range=1000-2499', 'member;range=2000-3499', 'member;range=3000-4499']);
    });

    it('uses the given range size', async () => {
      const list = members(250);
      const { values, requests } = await readAll(list, null, 100);
      expect(values).to.deep.equal(list);
      expect(requests).to.deep.equal(['member;range=100-199', 'member;range=200-299']);
    });

    it('takes an unranged answer to a range request as the whole list', async () => {
      const list = members(5);
      const fake = new FakeLdap(() => [{ dn: 'CN=g', member: list }]);
      const values = await readRemainingRanges(fake, 'CN=g', 'member', { found: true, values: ['ignored'], next: 2, range: { low: 0, high: 1 } });
      expect(values).to.deep.equal(list);
    });

    it('stops when the continuation holds nothing (the list shrank)', async () => {
      const fake = new FakeLdap(() => [{ dn: 'CN=g' }]);
      const values = await readRemainingRanges(fake, 'CN=g', 'member', { found: true, values: ['a', 'b'], next: 2, range: { low: 0, high: 1 } });
      expect(values).to.deep.equal(['a', 'b']);
    });

    it('refuses a chunk that does not start where it was asked to', async () => {
      const fake = new FakeLdap(() => [{ dn: 'CN=g', 'member;range=5-*': ['x'] }]);
      let error: unknown;
      try {
        await readRemainingRanges(fake, 'CN=g', 'member', { found: true, values: ['a', 'b'], next: 2, range: { low: 0, high: 1 } });
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/got a range starting at 5/);
    });

    it('fails when the group disappears between ranges', async () => {
      const fake = new FakeLdap(() => []);
      let error: unknown;
      try {
        await readRemainingRanges(fake, 'CN=g', 'member', { found: true, values: ['a'], next: 1, range: { low: 0, high: 0 } });
      } catch (e) {
        error = e;
      }
      expect(String(error)).to.match(/disappeared/);
    });
  });
});
