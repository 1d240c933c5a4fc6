import { expect } from 'chai';
import { certificateProblem, type CertificateFacts } from '../../../../sync/ldap/tls-diagnose';

const expected = { name: 'dc1.example.com', trustedBy: 'LDAP_CA_FILE (/etc/scimd/ca.pem)' };
const samba: CertificateFacts = {
  subject: 'CN=DC1.example.test, OU=Samba', issuer: 'CN=Samba CA', altNames: [], validTo: new Date('2027-01-01T00:00:00Z'),
};
const withAltNames: CertificateFacts = { ...samba, altNames: ['dc1.corp.example', 'dc1'] };

describe('certificateProblem()', () => {
  it('tells an expired certificate apart, with its expiry date, and says to renew it', () => {
    const problem = certificateProblem('CERT_HAS_EXPIRED', samba, expected);
    expect(problem.kind).to.equal('expired');
    expect(problem.detail).to.equal('the certificate CN=DC1.example.test, OU=Samba (issued by CN=Samba CA) expired on 2027-01-01T00:00:00.000Z');
    expect(problem.fix).to.match(/^renew the domain controller's certificate/);
  });

  it('tells a name mismatch apart and offers the name the certificate holds: its CN without subjectAltNames', () => {
    const problem = certificateProblem('ERR_TLS_CERT_ALTNAME_INVALID', samba, expected);
    expect(problem.kind).to.equal('name-mismatch');
    expect(problem.detail).to.match(/is not for dc1\.example\.com; it names DC1\.example\.test$/);
    expect(problem.fix).to.equal('connect by a name the certificate holds (LDAP_URL=ldaps://DC1.example.test), or set LDAP_TLS_SERVERNAME=DC1.example.test');
  });

  it('offers the subjectAltNames, not the CN, when the certificate has them', () => {
    expect(certificateProblem('ERR_TLS_CERT_ALTNAME_INVALID', withAltNames, expected).detail).to.match(/it names dc1\.corp\.example, dc1$/);
  });

  for (const code of ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
    it(`calls ${code} an untrusted CA and names what it was checked against`, () => {
      const problem = certificateProblem(code, samba, expected);
      expect(problem.kind).to.equal('untrusted');
      expect(problem.detail).to.include(`is not signed by a CA in LDAP_CA_FILE (/etc/scimd/ca.pem) (${code})`);
      expect(problem.fix).to.match(/^set LDAP_CA_FILE to the PEM file of the CA that issued/);
    });
  }

  it('calls anything else a failed handshake and asks whether the port speaks LDAPS', () => {
    const problem = certificateProblem('EPROTO', undefined, expected);
    expect(problem).to.deep.include({ kind: 'other', detail: 'the TLS handshake failed (EPROTO)' });
    expect(problem.fix).to.match(/speaks LDAPS \(636/);
  });
});
