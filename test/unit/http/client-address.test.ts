import { expect } from 'chai';
import { addressKey, clientAddressResolver, plainAddress } from '../../../src/http/client-address';
import type { ProxySubnet } from '../../../src/rate-limit-config';

const LOAD_BALANCERS: ProxySubnet[] = [
  { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
  { address: 'fd00::', prefix: 8, family: 'ipv6' },
];

describe('clientAddressResolver()', () => {
  describe('with no trusted proxies', () => {
    const addressOf = clientAddressResolver([]);

    it('takes the socket address and ignores X-Forwarded-For', () => {
      expect(addressOf('198.51.100.9', '203.0.113.5')).to.equal('198.51.100.9');
    });

    it('reports an IPv4 peer of a dual-stack socket as IPv4', () => {
      expect(addressOf('::ffff:198.51.100.9', '')).to.equal('198.51.100.9');
    });

    it('gives requests whose socket address is gone one shared key', () => {
      expect(addressOf(undefined, '203.0.113.5')).to.equal('unknown');
    });
  });

  describe('behind trusted proxies', () => {
    const addressOf = clientAddressResolver(LOAD_BALANCERS);

    it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
      expect(addressOf('198.51.100.9', '203.0.113.5')).to.equal('198.51.100.9');
    });

    it('takes the address a trusted proxy appended', () => {
      expect(addressOf('10.1.2.3', '203.0.113.5')).to.equal('203.0.113.5');
      expect(addressOf('::ffff:10.1.2.3', '203.0.113.5')).to.equal('203.0.113.5');
    });

    it('walks past a chain of trusted proxies to the first untrusted address, not the leftmost one a client wrote', () => {
      expect(addressOf('10.1.2.3', '192.0.2.66, 203.0.113.5, 10.9.9.9')).to.equal('203.0.113.5');
    });

    it('keeps the peer when the header is absent or empty', () => {
      expect(addressOf('10.1.2.3', '')).to.equal('10.1.2.3');
      expect(addressOf('10.1.2.3', ' , ')).to.equal('10.1.2.3');
    });

    it('stops at a hop that is not an address, at the proxy that reported it', () => {
      expect(addressOf('10.1.2.3', 'unknown')).to.equal('10.1.2.3');
      expect(addressOf('10.1.2.3', '203.0.113.5, garbage, 10.4.4.4')).to.equal('10.4.4.4');
    });

    it('takes the leftmost address when every hop is a trusted proxy', () => {
      expect(addressOf('10.1.2.3', '10.7.7.7, 10.8.8.8')).to.equal('10.7.7.7');
    });

    it('trusts IPv6 proxies and reads IPv6 clients', () => {
      expect(addressOf('fd00::1', '2001:db8::7')).to.equal('2001:db8::7');
      expect(addressOf('fd00::1', '[2001:db8::7]:443')).to.equal('2001:db8::7');
    });
  });
});

describe('plainAddress()', () => {
  it('removes the port some proxies append, brackets and the IPv4-mapped prefix', () => {
    expect(plainAddress('203.0.113.5:51234')).to.equal('203.0.113.5');
    expect(plainAddress('[2001:db8::1]:51234')).to.equal('2001:db8::1');
    expect(plainAddress('[2001:db8::1]')).to.equal('2001:db8::1');
    expect(plainAddress('::FFFF:203.0.113.5')).to.equal('203.0.113.5');
    expect(plainAddress('2001:db8::1')).to.equal('2001:db8::1');
  });
});

describe('addressKey()', () => {
  it('counts an IPv4 address by itself', () => {
    expect(addressKey('203.0.113.5')).to.equal('203.0.113.5');
  });

  it('counts an IPv6 address by its /64 network, however it is written', () => {
    expect(addressKey('2001:db8:0:1::7')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:0:0:9')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey('fe80:1:2:3:4:5:6:7')).to.equal('fe80:1:2:3::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).to.equal('64:ff9b:0:0::/64');
  });

  it('tells different /64 networks apart', () => {
    expect(addressKey('2001:db8:0:1::7')).to.not.equal(addressKey('2001:db8:0:2::7'));
  });
});
