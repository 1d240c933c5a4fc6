import { expect } from 'chai';
import {
  describeLdapConnection, LdapConfigError, openLdap, validateLdapConnectionConfig, type LdapConnectionConfig,
} from '../../../../sync/ldap/connection';

const base: LdapConnectionConfig = { url: 'ldaps://dc1.example.com', bindDn: 'CN=sync,OU=svc,DC=example,DC=com', bindPassword: 's3cret-Pa55' };

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('sync/ldap/connection (configuration)', () => {
  it('accepts ldaps://, ldap:// with StartTLS, and plain ldap:// with allowPlain', () => {
    expect(() => validateLdapConnectionConfig(base)).not.to.throw();
    expect(() => validateLdapConnectionConfig({ ...base, url: 'ldaps://10.0.0.5:3269', caFile: '/x', servername: 'dc1' })).not.to.throw();
    expect(() => validateLdapConnectionConfig({ ...base, url: 'ldap://dc1.example.com', startTls: true })).not.to.throw();
    expect(() => validateLdapConnectionConfig({ ...base, url: 'ldap://dc1.example.com', allowPlain: true })).not.to.throw();
  });

  it('refuses plain ldap:// unless allowPlain, saying what to do', () => {
    expect(() => validateLdapConnectionConfig({ ...base, url: 'ldap://dc1.example.com' }))
      .to.throw(LdapConfigError, /unencrypted.*ldaps:\/\/.*startTls.*allowPlain/);
  });

  it('refuses StartTLS on ldaps://', () => {
    expect(() => validateLdapConnectionConfig({ ...base, startTls: true })).to.throw(LdapConfigError, /startTls applies to ldap:\/\//);
  });

  const badUrls = ['', 'dc1.example.com', 'http://dc1', 'ldaps://', 'ldaps://user:pw@dc1', 'ldaps://dc1/DC=example,DC=com', 'ldaps://dc1?x', 'ldaps://dc1:99999'];
  for (const url of badUrls) {
    it(`refuses the URL ${JSON.stringify(url)}`, () => {
      expect(() => validateLdapConnectionConfig({ ...base, url })).to.throw(LdapConfigError);
    });
  }

  it('requires a bind DN and password, and positive timeouts', () => {
    expect(() => validateLdapConnectionConfig({ ...base, bindDn: '' })).to.throw(LdapConfigError, /bindDn/);
    expect(() => validateLdapConnectionConfig({ ...base, bindPassword: '' })).to.throw(LdapConfigError, /bindPassword/);
    expect(() => validateLdapConnectionConfig({ ...base, timeoutMs: 0 })).to.throw(LdapConfigError, /timeoutMs/);
    expect(() => validateLdapConnectionConfig({ ...base, connectTimeoutMs: 1.5 })).to.throw(LdapConfigError, /connectTimeoutMs/);
  });

  it('describes the connection without the password', () => {
    const text = describeLdapConnection({ ...base, caFile: '/etc/ca.pem', servername: 'DC1.example.com' });
    expect(text).to.equal('LDAPS to dc1.example.com:636 as CN=sync,OU=svc,DC=example,DC=com, verified against /etc/ca.pem for DC1.example.com');
    expect(describeLdapConnection({ ...base, url: 'ldap://[::1]', startTls: true }))
      .to.equal('LDAP+StartTLS to ::1:389 as CN=sync,OU=svc,DC=example,DC=com, verified against the system CAs for ::1');
    expect(describeLdapConnection({ ...base, url: 'ldap://dc1:1389', allowPlain: true })).to.match(/^plain LDAP \(no TLS\) to dc1:1389/);
    for (const t of [text, describeLdapConnection(base)]) expect(t).not.to.include(base.bindPassword);
  });

  it('does not connect when the configuration is refused', async () => {
    const error = await rejection(openLdap({ ...base, url: 'ldap://127.0.0.1:9' }));
    expect(error).to.be.instanceOf(LdapConfigError);
  });

  it('reports an unreadable CA file as a configuration error, without the password', async () => {
    const error = await rejection(openLdap({ ...base, caFile: '/nonexistent/ca.pem' }));
    expect(error).to.be.instanceOf(LdapConfigError);
    expect(error.message).to.match(/cannot read the LDAP CA file \/nonexistent\/ca.pem/);
    expect(error.message).not.to.include(base.bindPassword);
  });
});
