import { expect } from 'chai';
import fc from 'fast-check';
import {
  ACCOUNT_EXPIRES_NEVER, accountExpiresToDate, dateToAccountExpires, hasUacFlag, InvalidAccountValueError, isDisabled,
  isExpired, parseUserAccountControl, UAC, UAC_NORMAL_DISABLED, UAC_NORMAL_ENABLED, uacFlagNames,
} from '../../../../sync/ldap/account-control';

describe('sync/ldap/account-control', () => {
  describe('userAccountControl', () => {
    it('knows the common flags', () => {
      expect(UAC.ACCOUNTDISABLE).to.equal(0x2);
      expect(UAC.NORMAL_ACCOUNT).to.equal(0x200);
      expect(UAC.DONT_EXPIRE_PASSWORD).to.equal(0x10000);
      expect(UAC_NORMAL_ENABLED).to.equal(512);
      expect(UAC_NORMAL_DISABLED).to.equal(514);
    });

    const cases: readonly (readonly [string | number, boolean])[] = [
      ['512', false], ['514', true], [512, false], [514, true], ['66048', false], ['66050', true], ['2', true], ['0', false],
      ['544', false], ['546', true], [' 514 ', true], ['4096', false], ['4098', true], ['-2147483136', false], ['-2147483134', true], ['-2147483646', true],
    ];
    for (const [uac, disabled] of cases) {
      it(`isDisabled(${JSON.stringify(uac)}) is ${disabled}`, () => {
        expect(isDisabled(uac)).to.equal(disabled);
      });
    }

    it('parses to an unsigned 32-bit number', () => {
      expect(parseUserAccountControl('66050')).to.equal(66050);
      expect(parseUserAccountControl('-2147483646')).to.equal(0x80000002);
      expect(parseUserAccountControl(4294967295)).to.equal(0xffffffff);
    });

    for (const bad of ['', 'abc', '1e3', '5.0', '0x202', '4294967296', '-2147483649', '99999999999', '512 514']) {
      it(`refuses ${JSON.stringify(bad)}`, () => {
        expect(() => parseUserAccountControl(bad)).to.throw(InvalidAccountValueError);
        expect(() => isDisabled(bad)).to.throw(InvalidAccountValueError);
      });
    }

    it('tests flags by name or value, and names the flags set', () => {
      expect(hasUacFlag('66050', 'DONT_EXPIRE_PASSWORD')).to.equal(true);
      expect(hasUacFlag('66050', 'LOCKOUT')).to.equal(false);
      expect(hasUacFlag(0x1000, UAC.WORKSTATION_TRUST_ACCOUNT)).to.equal(true);
      expect(uacFlagNames('66050')).to.deep.equal(['ACCOUNTDISABLE', 'NORMAL_ACCOUNT', 'DONT_EXPIRE_PASSWORD']);
      expect(uacFlagNames('0')).to.deep.equal([]);
    });
  });

  describe('accountExpires', () => {
    for (const never of ['0', '9223372036854775807', ACCOUNT_EXPIRES_NEVER, undefined, null, 0n, 0x7fffffffffffffffn]) {
      it(`${String(never)} means never`, () => {
        expect(accountExpiresToDate(never)).to.equal('never');
        expect(isExpired(never, new Date('2999-01-01T00:00:00Z'))).to.equal(false);
      });
    }

    const vectors: readonly (readonly [string, string])[] = [
      ['116444736000000000', '1970-01-01T00:00:00.000Z'],
      ['125911584000000000', '2000-01-01T00:00:00.000Z'],
      ['135802912891230000', '2031-05-06T07:08:09.123Z'],
      ['1', '1601-01-01T00:00:00.000Z'],
      ['10000', '1601-01-01T00:00:00.001Z'],
      ['125911584000000001', '2000-01-01T00:00:00.000Z'], // sub-millisecond ticks dropped
      ['125911584000009999', '2000-01-01T00:00:00.000Z'],
      ['125911583999999999', '1999-12-31T23:59:59.999Z'], // rounded down, not to nearest
      ['116444735999999999', '1969-12-31T23:59:59.999Z'], // before 1970: still rounded down
      ['9223372036854775806', '+030828-09-14T02:48:05.477Z'],
    ];
    for (const [filetime, iso] of vectors) {
      it(`${filetime} is ${iso}`, () => {
        const date = accountExpiresToDate(filetime);
        expect(date).to.be.instanceOf(Date);
        expect((date as Date).toISOString()).to.equal(iso);
        expect(accountExpiresToDate(BigInt(filetime))).to.deep.equal(date);
      });
    }

    for (const bad of ['-1', 'abc', '1.5', '', '9223372036854775808', '99999999999999999999', '0x10', ' ', '1 2']) {
      it(`refuses ${JSON.stringify(bad)}`, () => {
        expect(() => accountExpiresToDate(bad)).to.throw(InvalidAccountValueError);
      });
    }

    it('refuses a negative bigint', () => {
      expect(() => accountExpiresToDate(-5n)).to.throw(InvalidAccountValueError);
    });

    it('converts a moment back to FILETIME, and never to 0x7FFFFFFFFFFFFFFF', () => {
      expect(dateToAccountExpires(new Date('2000-01-01T00:00:00Z'))).to.equal('125911584000000000');
      expect(dateToAccountExpires('never')).to.equal('9223372036854775807');
      expect(() => dateToAccountExpires(new Date('1600-12-31T23:59:59Z'))).to.throw(InvalidAccountValueError);
      expect(() => dateToAccountExpires(new Date(Number.NaN))).to.throw(InvalidAccountValueError);
    });

    it('round-trips every millisecond-precise moment from 1601 to 9999', () => {
      const min = Date.parse('1601-01-01T00:00:00.001Z');
      const max = Date.parse('9999-12-31T23:59:59.999Z');
      fc.assert(fc.property(fc.integer({ min, max }), (ms) => {
        expect((accountExpiresToDate(dateToAccountExpires(new Date(ms))) as Date).getTime()).to.equal(ms);
      }), { numRuns: 500 });
    });

    describe('isExpired', () => {
      const now = new Date('2026-03-01T12:00:00.000Z');
      it('is true when the expiry is before or at now', () => {
        expect(isExpired(dateToAccountExpires(new Date('2026-03-01T11:59:59.999Z')), now)).to.equal(true);
        expect(isExpired(dateToAccountExpires(now), now)).to.equal(true);
        expect(isExpired('125911584000000000', now)).to.equal(true);
      });

      it('is false when the expiry is after now, or never', () => {
        expect(isExpired(dateToAccountExpires(new Date('2026-03-01T12:00:00.001Z')), now)).to.equal(false);
        expect(isExpired('0', now)).to.equal(false);
        expect(isExpired(ACCOUNT_EXPIRES_NEVER, now)).to.equal(false);
      });

      it('defaults now to the current time', () => {
        // Expiries far on either side of any date this code runs at, so the test reads no clock: a
        // default of the epoch, or of "never", would fail one of the two.
        expect(isExpired(dateToAccountExpires(new Date('2000-01-01T00:00:00.000Z')))).to.equal(true);
        expect(isExpired(dateToAccountExpires(new Date('2200-01-01T00:00:00.000Z')))).to.equal(false);
      });
    });
  });
});
