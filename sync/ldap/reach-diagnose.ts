/**
 * The doctor's network checks of the domain controller, one layer at a time, so a failure names its
 * layer: the host name resolves (DNS), a TCP connection opens, and (ldaps://) the TLS handshake
 * verifies the certificate with the configured CA and server name. The bind comes after, in
 * diagnose.ts, through the sync's own connection code.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { codeOf, DeadlineError, fail, ok, reasonOf, warn, withDeadline, type CheckResult } from '../../src/diagnosis';
import { parseLdapUrl, tlsOptions, type LdapConnectionConfig } from './connection';
import { certificateFacts, certificateProblem, type TlsExpectation } from './tls-diagnose';

export const DNS = 'directory.dns';
export const TCP = 'directory.tcp';
export const TLS = 'directory.tls';

/** A certificate that expires sooner than this is worth a warning: renewal takes a change window. */
const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** The DC's addresses, or a failed check. */
export async function checkDns(host: string, deadlineMs: number): Promise<{ result: CheckResult; address?: string }> {
  if (net.isIP(host) !== 0) return { result: ok(DNS, `${host} is an address; nothing to resolve`), address: host };
  try {
    const addresses = await withDeadline(`resolving ${host}`, deadlineMs, () => lookup(host, { all: true }));
    const first = addresses[0]?.address;
    if (first === undefined) throw Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
    return { result: ok(DNS, `${host} resolves to ${addresses.map((a) => a.address).join(', ')}`), address: first };
  } catch (error) {
    const code = codeOf(error);
    const temporary = code === 'EAI_AGAIN' || error instanceof DeadlineError;
    return {
      result: fail(DNS, `cannot resolve ${host}: ${reasonOf(error)}`, temporary
        ? 'the DNS server does not answer: check this machine\'s resolver (/etc/resolv.conf), usually the domain\'s DCs'
        : `check the host name in LDAP_URL: use the DC's fully qualified name (dc1.example.com), which the domain's DNS `
          + 'resolves; this machine must use a DNS server that knows the domain'),
    };
  }
}

/** A TCP connection to the port, closed at once. */
export async function checkTcp(address: string, host: string, port: number, deadlineMs: number): Promise<CheckResult> {
  const where = `${host}:${port}${address === host ? '' : ` (${address})`}`;
  try {
    await withDeadline(`connecting to ${where}`, deadlineMs, () => new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: address, port, timeout: deadlineMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => socket.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' })));
      socket.once('error', reject);
    }));
    return ok(TCP, `${where} accepts connections`);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ECONNREFUSED') {
      return fail(TCP, `${where} refused the connection: nothing listens there`,
        'check the port in LDAP_URL: LDAPS listens on 636 (ldaps://dc1.example.com:636), LDAP with StartTLS on 389; '
        + 'and that the DC is running');
    }
    return fail(TCP, `cannot connect to ${where}: ${reasonOf(error)}`,
      'a firewall between here and the DC drops the connection, or the DC is down: allow TCP to that port from this machine');
  }
}

/** The TLS handshake of ldaps://, verified as the sync verifies it; the certificate's problems told apart. */
export async function checkTls(config: LdapConnectionConfig, address: string, deadlineMs: number): Promise<CheckResult> {
  const { host, port } = parseLdapUrl(config.url);
  const options = tlsOptions(config, host);
  const expected: TlsExpectation = {
    name: config.servername ?? host,
    trustedBy: config.caFile ? `LDAP_CA_FILE (${config.caFile})` : 'the system CA store',
  };
  let socket: tls.TLSSocket | undefined;
  try {
    socket = await withDeadline(`TLS handshake with ${host}:${port}`, deadlineMs, () => new Promise<tls.TLSSocket>((resolve, reject) => {
      // Verification is done below instead of by the handshake, so that a certificate that fails
      // still shows what it holds (its names, issuer and dates). Nothing is sent over this socket:
      // the bind, with the password, goes over the sync's own fully verified connection.
      const connecting = tls.connect({ ...options, host: address, port, rejectUnauthorized: false, timeout: deadlineMs });
      connecting.once('secureConnect', () => resolve(connecting));
      connecting.once('timeout', () => connecting.destroy(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' })));
      connecting.once('error', reject);
    }));
    const facts = certificateFacts(socket.getPeerCertificate());
    if (!socket.authorized) {
      const problem = certificateProblem(String(socket.authorizationError), facts, expected);
      return fail(TLS, problem.detail, problem.fix);
    }
    if (!facts) return fail(TLS, 'the DC sent no certificate', 'give the DC a certificate for LDAPS (docs/ad-sync.md, section 2)');
    const days = Math.floor((facts.validTo.getTime() - Date.now()) / DAY_MS);
    const what = `${socket.getProtocol() ?? 'TLS'}, certificate ${facts.subject} issued by ${facts.issuer}, verified against `
      + `${expected.trustedBy} for ${expected.name}, valid until ${facts.validTo.toISOString()}`;
    if (days < EXPIRY_WARNING_DAYS) {
      return warn(TLS, `${what}: expires in ${days} days`, 'renew the domain controller\'s certificate before it expires; '
        + 'the sync stops at the expiry');
    }
    return ok(TLS, what);
  } catch (error) {
    // Without a verification code (a reset, a timeout, a server that speaks no TLS), the reason says it all.
    const problem = certificateProblem(codeOf(error) ?? 'no code', undefined, expected);
    const detail = problem.kind === 'other' ? `the TLS handshake with ${host}:${port} failed: ${reasonOf(error)}` : `${problem.detail}: ${reasonOf(error)}`;
    return fail(TLS, detail, problem.fix);
  } finally {
    socket?.destroy();
  }
}
