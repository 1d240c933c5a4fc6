import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

describe('loadConfig() › PRINCIPAL_CACHE_MS', () => {
  it('defaults to one second', () => {
    expect(loadConfig({}).principalCacheMs).to.equal(1_000);
  });

  it('takes whole milliseconds from 0 (off) to 2000, the revocation bound', () => {
    expect(loadConfig({ PRINCIPAL_CACHE_MS: '0' }).principalCacheMs).to.equal(0);
    expect(loadConfig({ PRINCIPAL_CACHE_MS: '2000' }).principalCacheMs).to.equal(2_000);
  });

  it('refuses a value beyond 2000 or not a whole number, naming the variable', () => {
    for (const value of ['2001', '1.5', '-1', 'one']) {
      expect(() => loadConfig({ PRINCIPAL_CACHE_MS: value }), value).to.throw(ConfigError, /PRINCIPAL_CACHE_MS/);
    }
  });
});
