import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { DEFAULT_ADDRESS_LIMIT } from '../../../src/rate-limit-config';

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message;
  }
  return '';
};

describe('loadConfig() for rate limits', () => {
  describe('per token (RATE_LIMIT_RPS, RATE_LIMIT_BURST)', () => {
    it('limits no token when RATE_LIMIT_RPS is unset, empty or 0', () => {
      for (const env of [{}, { RATE_LIMIT_RPS: '' }, { RATE_LIMIT_RPS: '0' }, { RATE_LIMIT_RPS: '0', RATE_LIMIT_BURST: '50' }]) {
        expect(loadConfig(env).rateLimit, JSON.stringify(env)).to.not.have.property('perToken');
      }
    });

    it('takes twice the rate as the burst by default, at least 1', () => {
      expect(loadConfig({ RATE_LIMIT_RPS: '10' }).rateLimit?.perToken).to.deep.equal({ perSecond: 10, burst: 20 });
      expect(loadConfig({ RATE_LIMIT_RPS: '2.5' }).rateLimit?.perToken).to.deep.equal({ perSecond: 2.5, burst: 5 });
      expect(loadConfig({ RATE_LIMIT_RPS: '0.2' }).rateLimit?.perToken).to.deep.equal({ perSecond: 0.2, burst: 1 });
    });

    it('reads an explicit burst', () => {
      expect(loadConfig({ RATE_LIMIT_RPS: '10', RATE_LIMIT_BURST: '100' }).rateLimit?.perToken)
        .to.deep.equal({ perSecond: 10, burst: 100 });
    });

    it('refuses a rate that is not a non-negative number, or too high, naming the variable', () => {
      expect(problemsOf({ RATE_LIMIT_RPS: 'fast' })).to.include('RATE_LIMIT_RPS: "fast" is not a number of requests per second');
      expect(problemsOf({ RATE_LIMIT_RPS: '-5' })).to.include('RATE_LIMIT_RPS: "-5" is not a number');
      expect(problemsOf({ RATE_LIMIT_RPS: '1e3' })).to.include('RATE_LIMIT_RPS: "1e3" is not a number');
      expect(problemsOf({ RATE_LIMIT_RPS: '200000' })).to.include('RATE_LIMIT_RPS: 200000 is above 100000');
    });

    it('refuses a burst that is not a whole number from 1, and a burst without a rate', () => {
      expect(problemsOf({ RATE_LIMIT_RPS: '5', RATE_LIMIT_BURST: '0' }))
        .to.include('RATE_LIMIT_BURST: "0" is not a whole number of requests from 1 to 1000000');
      expect(problemsOf({ RATE_LIMIT_RPS: '5', RATE_LIMIT_BURST: '2.5' })).to.include('RATE_LIMIT_BURST: "2.5" is not a whole number');
      expect(problemsOf({ RATE_LIMIT_BURST: '20' })).to.include('RATE_LIMIT_BURST is set but RATE_LIMIT_RPS is not');
    });
  });

  describe('per address (RATE_LIMIT_ADDRESS_RPS, RATE_LIMIT_ADDRESS_BURST)', () => {
    it('is on by default: a burst of 20 failed authentications, then one a second', () => {
      expect(DEFAULT_ADDRESS_LIMIT).to.deep.equal({ perSecond: 1, burst: 20 });
      expect(loadConfig({}).rateLimit?.perAddress).to.deep.equal(DEFAULT_ADDRESS_LIMIT);
    });

    it('is off with RATE_LIMIT_ADDRESS_RPS=0', () => {
      expect(loadConfig({ RATE_LIMIT_ADDRESS_RPS: '0' }).rateLimit).to.not.have.property('perAddress');
    });

    it('keeps the default burst when only the burst is unset, and reads both', () => {
      expect(loadConfig({ RATE_LIMIT_ADDRESS_BURST: '50' }).rateLimit?.perAddress).to.deep.equal({ perSecond: 1, burst: 50 });
      expect(loadConfig({ RATE_LIMIT_ADDRESS_RPS: '0.5', RATE_LIMIT_ADDRESS_BURST: '10' }).rateLimit?.perAddress)
        .to.deep.equal({ perSecond: 0.5, burst: 10 });
      expect(loadConfig({ RATE_LIMIT_ADDRESS_RPS: '3' }).rateLimit?.perAddress).to.deep.equal({ perSecond: 3, burst: 6 });
    });

    it('refuses bad values naming the variable', () => {
      expect(problemsOf({ RATE_LIMIT_ADDRESS_RPS: 'lots' })).to.include('RATE_LIMIT_ADDRESS_RPS: "lots" is not a number');
      expect(problemsOf({ RATE_LIMIT_ADDRESS_BURST: 'x' })).to.include('RATE_LIMIT_ADDRESS_BURST: "x" is not a whole number');
    });
  });

  describe('TRUSTED_PROXIES', () => {
    it('trusts no proxy by default', () => {
      expect(loadConfig({}).rateLimit?.trustedProxies).to.deep.equal([]);
    });

    it('reads addresses and CIDR networks, IPv4 and IPv6, separated by commas or spaces', () => {
      expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7 fd00::/8,::1' }).rateLimit?.trustedProxies).to.deep.equal([
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '192.0.2.7', prefix: 32, family: 'ipv4' },
        { address: 'fd00::', prefix: 8, family: 'ipv6' },
        { address: '::1', prefix: 128, family: 'ipv6' },
      ]);
    });

    it('refuses host names, bad prefixes and garbled entries, each by name', () => {
      const problems = problemsOf({ TRUSTED_PROXIES: 'lb.example.com, 10.0.0.0/33, fd00::/129, 10.0.0.0/8/8, 10.0.0.0/, 300.1.1.1' });
      for (const entry of ['lb.example.com', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/8', '10.0.0.0/', '300.1.1.1']) {
        expect(problems).to.include(`TRUSTED_PROXIES: "${entry}" is not an IP address or a CIDR network`);
      }
    });
  });

  it('reports rate limit problems together with the others', () => {
    const problems = problemsOf({ PORT: 'eighty', RATE_LIMIT_RPS: 'x', TRUSTED_PROXIES: 'nope' });
    expect(problems).to.include('PORT').and.include('RATE_LIMIT_RPS').and.include('TRUSTED_PROXIES');
  });
});
