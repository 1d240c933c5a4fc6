/**
 * What a domain controller's TLS certificate says, and what to do when it does not verify. Node names
 * the verification failure by an OpenSSL code (`CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
 * `ERR_TLS_CERT_ALTNAME_INVALID`…); the doctor turns the code into one of four problems, each with
 * its own fix: expired (or not yet valid), a name mismatch, an untrusted CA, or no TLS at all.
 */
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';

/** The certificate facts a finding quotes (no key material). */
export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  /** subjectAltName DNS names and IP addresses, without their `DNS:`/`IP Address:` prefixes. */
  readonly altNames: readonly string[];
  readonly validTo: Date;
}

/** What the handshake verified against: for messages. */
export interface TlsExpectation {
  /** The name the certificate must hold (LDAP_TLS_SERVERNAME, or the URL's host). */
  readonly name: string;
  /** `LDAP_CA_FILE (/etc/scimd/ca.pem)` or `the system CA store`. */
  readonly trustedBy: string;
}

export interface CertificateProblem {
  readonly kind: 'expired' | 'name-mismatch' | 'untrusted' | 'other';
  readonly detail: string;
  readonly fix: string;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED',
]);

export function certificateFacts(cert: PeerCertificate | DetailedPeerCertificate): CertificateFacts | undefined {
  if (!cert || Object.keys(cert).length === 0) return undefined;
  return {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    altNames: (cert.subjectaltname ?? '').split(',').map((name) => name.trim().replace(/^(DNS|IP Address):/, '')).filter(Boolean),
    validTo: new Date(cert.valid_to),
  };
}

/** One verification failure code, told with the certificate (when it was seen) and the expectation. */
export function certificateProblem(code: string, facts: CertificateFacts | undefined, expected: TlsExpectation): CertificateProblem {
  const cert = facts ? `the certificate ${facts.subject} (issued by ${facts.issuer}` : 'the certificate (';
  if (code === 'CERT_HAS_EXPIRED') {
    return {
      kind: 'expired',
      detail: `${cert}) expired${facts ? ` on ${facts.validTo.toISOString()}` : ''}`,
      fix: 'renew the domain controller\'s certificate (AD CS: its Kerberos Authentication or Domain Controller template); '
        + 'the DC picks a new one up without a restart',
    };
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return {
      kind: 'expired',
      detail: `${cert}) is not valid yet`,
      fix: 'check the clocks of this machine and the DC (NTP), or wait until the certificate\'s start date',
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    const names = facts ? namesOf(facts) : [];
    return {
      kind: 'name-mismatch',
      detail: `${cert}) is not for ${expected.name}${names.length > 0 ? `; it names ${names.join(', ')}` : ''}`,
      fix: names.length > 0
        ? `connect by a name the certificate holds (LDAP_URL=ldaps://${names[0]}), or set LDAP_TLS_SERVERNAME=${names[0]}`
        : 'set LDAP_TLS_SERVERNAME to the name the DC\'s certificate holds (its DNS name)',
    };
  }
  if (UNTRUSTED.has(code)) {
    return {
      kind: 'untrusted',
      detail: `${cert}) is not signed by a CA in ${expected.trustedBy} (${code})`,
      fix: 'set LDAP_CA_FILE to the PEM file of the CA that issued the DC\'s certificate (the AD CS root; '
        + 'docs/ad-sync.md, section 2, shows how to export it)',
    };
  }
  return {
    kind: 'other',
    detail: `the TLS handshake failed (${code})`,
    fix: 'check that the port speaks LDAPS (636; 389 needs ldap:// with LDAP_START_TLS=true) and that the DC has a certificate',
  };
}

/** The names a certificate is valid for: its subjectAltNames, else its CN (the only name Samba's has). */
function namesOf(facts: CertificateFacts): string[] {
  if (facts.altNames.length > 0) return [...facts.altNames];
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(facts.subject)?.[1];
  return cn ? [cn] : [];
}

function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '(none)';
  const parts = Object.entries(name).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`);
  // Node lists the RDNs from the root (C, O, CN): reversed, they read like an LDAP DN, CN first.
  return parts.length > 0 ? parts.reverse().join(', ') : '(none)';
}
