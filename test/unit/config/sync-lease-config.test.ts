import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

/** The least a configuration with the sync on needs. */
const SYNC_ON = {
  LDAP_URL: 'ldaps://dc1.example.com', LDAP_BIND_DN: 'CN=svc-scimd,DC=example,DC=com',
  LDAP_BIND_PASSWORD: 'not-a-real-password', SYNC_BASE_DNS: 'DC=example,DC=com',
};

describe('loadConfig() › SYNC_LEASE_TTL_SECONDS', () => {
  it('defaults to ten minutes', () => {
    expect(loadConfig(SYNC_ON).sync?.leaseTtlSeconds).to.equal(600);
  });

  it('takes a whole number of seconds from 3 to 86400', () => {
    expect(loadConfig({ ...SYNC_ON, SYNC_LEASE_TTL_SECONDS: '3' }).sync?.leaseTtlSeconds).to.equal(3);
    expect(loadConfig({ ...SYNC_ON, SYNC_LEASE_TTL_SECONDS: '86400' }).sync?.leaseTtlSeconds).to.equal(86_400);
  });

  it('refuses a value that is not a whole number, or out of range, naming the variable', () => {
    for (const value of ['2', '86401', '1.5', '-10', 'ten']) {
      expect(() => loadConfig({ ...SYNC_ON, SYNC_LEASE_TTL_SECONDS: value }), value).to.throw(ConfigError, /SYNC_LEASE_TTL_SECONDS/);
    }
  });
});
