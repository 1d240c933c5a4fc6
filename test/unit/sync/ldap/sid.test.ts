import { expect } from 'chai';
import fc from 'fast-check';
import { InvalidSidError, sidToBytes, sidToString } from '../../../../sync/ldap/sid';

describe('sync/ldap/sid', () => {
  // Read from a Samba DC: Domain Admins' objectSid and the SID in its extended DN.
  const domainAdmins = Buffer.from('AQUAAAAAAAUVAAAAd4oBlC9RpPisptioAAIAAA==', 'base64');

  it('converts a domain SID', () => {
    expect(sidToString(domainAdmins)).to.equal('S-1-5-21-2483128951-4171518255-2832770732-512');
  });

  it('converts well-known SIDs', () => {
    expect(sidToString(Buffer.from('010100000000000100000000', 'hex'))).to.equal('S-1-1-0'); // Everyone
    expect(sidToString(Buffer.from('01020000000000052000000020020000', 'hex'))).to.equal('S-1-5-32-544'); // BUILTIN\Administrators
    expect(sidToString(Buffer.from('010000000000000500', 'hex').subarray(0, 8))).to.equal('S-1-5'); // no sub-authorities
  });

  it('converts back', () => {
    expect(sidToBytes('S-1-5-21-2483128951-4171518255-2832770732-512').equals(domainAdmins)).to.equal(true);
    expect(sidToBytes('s-1-5-32-544').toString('hex')).to.equal('01020000000000052000000020020000');
  });

  for (const hex of ['', '0101', '0201000000000001' + '00000000', '0102000000000005' + '20000000', '0110000000000005' + '00'.repeat(64)]) {
    it(`refuses ${hex || 'nothing'}`, () => {
      expect(() => sidToString(Buffer.from(hex, 'hex'))).to.throw(InvalidSidError);
    });
  }

  for (const text of ['', 'S-1', 'S-2-5-21', 'S-1-5-x', 'S-1-5-4294967296', 'X-1-5-21', `S-1-5${'-1'.repeat(16)}`]) {
    it(`refuses to parse ${JSON.stringify(text)}`, () => {
      expect(() => sidToBytes(text)).to.throw(InvalidSidError);
    });
  }

  it('round-trips', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2 ** 47 }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
      (authority, subs) => {
        const text = ['S-1', authority, ...subs].join('-');
        expect(sidToString(sidToBytes(text))).to.equal(text);
      },
    ), { numRuns: 300 });
  });
});
