/**
 * Opening an authenticated LDAP connection to a domain controller (ldapts).
 *
 * Transport security is the default and is verified:
 * - `ldaps://…` — TLS from the first byte; the server certificate is verified against the system CAs or
 *   `caFile`, for the URL's host name or `servername` (for DCs whose certificate does not name the address
 *   used, e.g. Samba's self-signed certificate with only `CN=<DC FQDN>` and no subjectAltName).
 * - `ldap://…` with `startTls` — the StartTLS extended operation, verified the same way, before the bind.
 * - `ldap://…` without TLS only with `allowPlain` (the bind password then crosses the network in clear;
 *   AD refuses such binds anyway unless "require strong auth" is off).
 * The password is never logged or put into error messages.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { type Client, ResultCodeError } from 'ldapts';
import { TimedLdapClient } from './timed-client';

export interface LdapConnectionConfig {
  /** `ldaps://host[:port]` or `ldap://host[:port]`. */
  readonly url: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  /** PEM file with the CA certificate(s) to trust instead of the system store. */
  readonly caFile?: string;
  /** The name to verify the server certificate against (and send as SNI), when it differs from the URL's host. */
  readonly servername?: string;
  /** `ldap://` only: upgrade with StartTLS before binding. */
  readonly startTls?: boolean;
  /** `ldap://` only: permit a connection without TLS. Off by default. */
  readonly allowPlain?: boolean;
  /** Per-operation timeout (each search page is one operation). Default 120 s. */
  readonly timeoutMs?: number;
  /** TCP (and TLS) connect timeout. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

/**
 * 120 s: AD's own default MaxQueryDuration. A DC may work out a paged search's whole result before it
 * answers the first page (Samba took 31 s for 100,000 users on a busy machine), so a shorter bound
 * fails a large directory's first page while the DC is still working on it.
 */
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The configuration cannot work as given (bad URL, contradictory options, unreadable CA file…). */
export class LdapConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LdapConfigError';
  }
}

/** Connecting, the TLS handshake/verification, StartTLS or the bind failed. `cause` holds the original error. */
export class LdapConnectError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** Where it failed: the StartTLS upgrade, or the bind (which also connects, with TLS for ldaps://). */
    readonly stage: 'startTls' | 'connect' | 'bind' = 'connect',
  ) {
    super(message, options);
    this.name = 'LdapConnectError';
  }
}

export interface ParsedUrl {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
}

/** The URL's transport, host and port (636 for ldaps://, 389 for ldap:// by default); throws LdapConfigError. */
export function parseLdapUrl(url: string): ParsedUrl {
  if (typeof url !== 'string' || url.trim() === '') throw new LdapConfigError('the LDAP URL is required (ldaps://host[:port])');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LdapConfigError(`LDAP URL is not a valid URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') {
    throw new LdapConfigError(`LDAP URL must start with ldaps:// or ldap:// (got ${parsed.protocol}//)`);
  }
  if (parsed.username || parsed.password) throw new LdapConfigError('LDAP URL must not contain credentials; use bindDn/bindPassword');
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search) {
    throw new LdapConfigError('LDAP URL must name only the scheme, host and port (e.g. ldaps://dc1.example.com:636)');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new LdapConfigError('LDAP URL names no host');
  const secure = parsed.protocol === 'ldaps:';
  return { secure, host, port: parsed.port ? Number(parsed.port) : secure ? 636 : 389 };
}

/** How the configuration will connect, for logs and reports (never contains the password). */
export function describeLdapConnection(config: LdapConnectionConfig): string {
  const { secure, host, port } = parseLdapUrl(config.url);
  const transport = secure ? 'LDAPS' : config.startTls ? 'LDAP+StartTLS' : 'plain LDAP (no TLS)';
  const verify = secure || config.startTls
    ? `, verified against ${config.caFile ?? 'the system CAs'} for ${config.servername ?? host}`
    : '';
  return `${transport} to ${host}:${port} as ${config.bindDn}${verify}`;
}

/** The TLS options every connection verifies the DC with (CA file, server name); throws LdapConfigError. */
export function tlsOptions(config: LdapConnectionConfig, host: string): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: true, minVersion: 'TLSv1.2' };
  if (config.caFile) {
    try {
      options.ca = readFileSync(config.caFile);
    } catch (error) {
      throw new LdapConfigError(`cannot read the LDAP CA file ${config.caFile}: ${(error as Error).message}`);
    }
  }
  // SNI may not carry an IP address; the certificate is then checked against `host`.
  if (config.servername) options.servername = config.servername;
  else if (isIP(host) === 0) options.servername = host;
  else options.host = host;
  return options;
}

/** Checks a configuration without connecting; throws LdapConfigError. */
export function validateLdapConnectionConfig(config: LdapConnectionConfig): void {
  const { secure } = parseLdapUrl(config.url);
  if (!config.bindDn) throw new LdapConfigError('bindDn is required');
  if (!config.bindPassword) throw new LdapConfigError('bindPassword is required (anonymous binds are not used)');
  if (secure && config.startTls) throw new LdapConfigError('startTls applies to ldap:// URLs; ldaps:// is TLS already');
  if (!secure && !config.startTls && !config.allowPlain) {
    throw new LdapConfigError('plain ldap:// would send the bind password unencrypted: use ldaps://, set startTls, '
      + 'or (test setups only) allowPlain');
  }
  for (const [name, value] of [['timeoutMs', config.timeoutMs], ['connectTimeoutMs', config.connectTimeoutMs]] as const) {
    if (value != null && !(Number.isInteger(value) && value > 0)) throw new LdapConfigError(`${name} must be a positive integer`);
  }
}

/**
 * Connects and binds; resolves a ready client (call `unbind()` when done). Throws LdapConfigError before
 * connecting when the configuration is unusable, LdapConnectError when the server cannot be reached, its
 * certificate is not trusted, or the bind is refused.
 */
export async function openLdap(config: LdapConnectionConfig): Promise<Client> {
  validateLdapConnectionConfig(config);
  const { secure, host } = parseLdapUrl(config.url);
  const tls = secure || config.startTls ? tlsOptions(config, host) : undefined;
  const client = new TimedLdapClient({
    url: config.url,
    timeout: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    connectTimeout: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // ldapts treats any tlsOptions as "connect with TLS", so they are only given for ldaps://.
    ...(secure ? { tlsOptions: tls } : {}),
  });
  const where = describeLdapConnection(config);
  try {
    if (config.startTls && tls) {
      try {
        await client.startTLS({ ...tls });
      } catch (error) {
        throw new LdapConnectError(`StartTLS failed (${where}): ${errorText(error)}`, { cause: error }, 'startTls');
      }
    }
    try {
      // ldapts connects on the first operation: without StartTLS, connection and TLS errors surface here too.
      await client.bind(config.bindDn, config.bindPassword);
    } catch (error) {
      const refused = error instanceof ResultCodeError;
      throw new LdapConnectError(`${refused ? 'LDAP bind refused' : 'cannot connect'} (${where}): ${errorText(error)}`,
        { cause: error }, refused ? 'bind' : 'connect');
    }
    return client;
  } catch (error) {
    await client.unbind().catch(() => undefined);
    throw error;
  }
}

/** AD's bind sub-codes (`… data 52e …`) in words. */
const AD_BIND_REASONS: Readonly<Record<string, string>> = {
  '525': 'user not found',
  '52e': 'invalid credentials',
  '530': 'not permitted to log on at this time',
  '531': 'not permitted to log on at this workstation',
  '532': 'password expired',
  '533': 'account disabled',
  '701': 'account expired',
  '773': 'user must reset password',
  '775': 'account locked out',
};

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const sub = /\bdata ([0-9a-f]{3}),/i.exec(message)?.[1]?.toLowerCase();
  const reason = sub ? AD_BIND_REASONS[sub] : undefined;
  const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
    ? '; set servername to the name the certificate holds'
    : typeof code === 'string' && /CERT|SELF_SIGNED|VERIFY/.test(code) ? '; set caFile to the CA that issued the DC\'s certificate' : '';
  return [message.trim(), typeof code === 'string' && !message.includes(code) ? `(${code})` : '', reason ? `[${reason}]` : '']
    .filter(Boolean).join(' ') + hint;
}
