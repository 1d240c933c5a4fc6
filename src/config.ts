import { readFileSync } from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { ConfigError } from './errors';
import { loadRateLimitConfig, type RateLimitConfig } from './rate-limit-config';

/**
 * Runtime configuration, read from the environment once at start and validated as a whole so an
 * operator sees every problem at once. Secrets may come from `<NAME>_FILE` (Docker/Kubernetes secrets).
 */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'mariadb'; readonly url: string };

/** Active Directory sync; present when LDAP_URL is set. */
export interface SyncConfig {
  readonly ldap: {
    readonly url: string;
    readonly bindDn: string;
    readonly bindPassword: string;
    readonly caFile?: string;
    /** Name to verify the DC certificate against when it differs from the URL's host. */
    readonly tlsServerName?: string;
    readonly startTls: boolean;
    readonly allowPlain: boolean;
  };
  readonly baseDns: readonly string[];
  readonly userFilter: string;
  readonly groupFilter: string;
  readonly mappingFile?: string;
  /** Cron expressions; undefined disables that schedule. */
  readonly scheduleDelta?: string;
  readonly scheduleFull?: string;
  readonly deleteThreshold: number;
  readonly deleteThresholdPercent: number;
  readonly deletePolicy: 'deactivate' | 'delete';
  readonly softMatchByUserName: boolean;
  /** Run the schedules in this process (SYNC_SCHEDULER=false leaves them to other replicas or to cron + CLI). */
  readonly schedulerEnabled: boolean;
  /**
   * How long the sync lease lasts without renewal (SYNC_LEASE_TTL_SECONDS); a run renews it every
   * third of that, so a replica takes over a dead holder's lease at most this long after it died.
   * Absent (configurations built in code): DEFAULT_SYNC_LEASE_TTL_SECONDS.
   */
  readonly leaseTtlSeconds?: number;
}

export const DEFAULT_SYNC_LEASE_TTL_SECONDS = 600;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A bearer token's principal is remembered this long at most (src/auth/principal-cache.ts): revocation
 * must take effect on every replica within 2 s. Unset: half the bound.
 */
export const MAX_PRINCIPAL_CACHE_MS = 2_000;
export const DEFAULT_PRINCIPAL_CACHE_MS = 1_000;

export interface Config {
  readonly host: string;
  readonly port: number;
  /**
   * Base URL clients use to reach the server, for `meta.location` and `Location` headers.
   * Undefined: the address the server listens on.
   */
  readonly publicUrl: string | undefined;
  readonly database: DatabaseConfig;
  /**
   * DATABASE_URL (and DATABASE_URL_FILE) unset: the database is the SQLite file data/scimd.sqlite
   * under the working directory, whose folder the server creates on first start (src/runtime.ts).
   * Absent: false.
   */
  readonly defaultDatabase?: boolean;
  readonly migrateOnStart: boolean;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly governance: GovernanceConfig;
  readonly sync?: SyncConfig;
  /** E-mail notices; present when SMTP_URL is set (else notices stay queued in the outbox). */
  readonly mail?: MailConfig;
  /** The web console's sign-in and sessions; absent: the defaults, sign-in by personal access token only. */
  readonly console?: ConsoleConfig;
  /** Per-token and per-address request limits (src/rate-limit-config.ts); absent: nothing is limited. */
  readonly rateLimit?: RateLimitConfig;
  /** How long a bearer token's principal is remembered (PRINCIPAL_CACHE_MS, 0-2000, 0 = off); absent: 1000. */
  readonly principalCacheMs?: number;
  /** A listener serving /metrics without a token; present when METRICS_PORT is set. */
  readonly metrics?: MetricsListenerConfig;
}

/** METRICS_PORT and METRICS_HOST (default 127.0.0.1): where Prometheus scrapes without a token. */
export interface MetricsListenerConfig {
  readonly host: string;
  readonly port: number;
}

/** The web console (/admin): how persons sign in and how long their sessions live. */
export interface ConsoleConfig {
  /** OpenID Connect sign-in; present when OIDC_ISSUER is set. */
  readonly oidc?: OidcConfig;
  /** A session ends after this many minutes without a request (CONSOLE_SESSION_IDLE_MINUTES, default 30). */
  readonly sessionIdleMinutes: number;
  /** A session ends this many hours after sign-in whatever happens (CONSOLE_SESSION_HOURS, default 12). */
  readonly sessionHours: number;
}

/**
 * The console's OpenID Connect relying party (authorization code flow with PKCE). Its redirect URI
 * is `<PUBLIC_URL>/admin/oidc/callback`.
 */
export interface OidcConfig {
  /** OIDC_ISSUER: the provider's issuer URL, whose /.well-known/openid-configuration is read at first use. */
  readonly issuer: string;
  readonly clientId: string;
  /** OIDC_CLIENT_SECRET (or _FILE); absent: a public client (PKCE alone). */
  readonly clientSecret?: string;
  /** The ID token claim matched case-insensitively against a User's userName (OIDC_USER_CLAIM, default email). */
  readonly userClaim: string;
  /** The provider's name on the sign-in button (OIDC_PROVIDER_NAME, default "single sign-on"). */
  readonly providerName: string;
}

/** Where notices are sent from and through (SMTP_URL, MAIL_FROM). */
export interface MailConfig {
  /** smtp://host:587 (STARTTLS when offered) or smtps://user:password@host:465; a secret. */
  readonly url: string;
  /** The From of every notice: `noreply@example.com` or `scimd <noreply@example.com>`. */
  readonly from: string;
}

/**
 * Which role changes through the admin API wait for a second person (APPROVAL_MODE): none, the
 * governed ones (high-risk roles, roles carrying a permission the caller lacks; the default), or all.
 */
export type ApprovalMode = 'none' | 'high-risk' | 'all';

export interface GovernanceConfig {
  readonly approvalMode: ApprovalMode;
  /** A pending change request expires after this many days (APPROVAL_EXPIRY_DAYS, default 7). */
  readonly approvalExpiryDays: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_SQLITE_PATH = path.join('data', 'scimd.sqlite');

/** Reads `NAME`, or the contents of the file named by `NAME_FILE` (trailing newline trimmed). */
export function readSecret(env: Env, name: string, problems: string[]): string | undefined {
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`${name} and ${name}_FILE are both set; set only one`);
      return undefined;
    }
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }
  const value = env[name];
  return value === '' ? undefined : value;
}

const ENCODE_HINT = 'Percent-encode the user name and password: @ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25';

export function parseDatabaseUrl(value: string, problems: string[]): DatabaseConfig | undefined {
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') {
      problems.push('DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/scimd.sqlite');
      return undefined;
    }
    return { kind: 'sqlite', path: file };
  }
  if (/^(mysql|mariadb):\/\//.test(value)) {
    // The URL is parsed twice: here (WHATWG URL) and by TypeORM (DriverUtils.parseConnectionUrl, which
    // takes the user and password before the last @ of the part up to the first /, and decodes them with
    // decodeURIComponent). Both agree only on a percent-encoded user name and password: an unencoded
    // / ? or # ends the host part early for one parser or both, and a bare % makes TypeORM throw.
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push(`DATABASE_URL: not a valid URL (expected mysql://user:password@host:3306/database). ${ENCODE_HINT}`);
      return undefined;
    }
    // `mysql://u:123/x@db/scimd` parses too (host u, port 123): an @ after the host means a / ? or # before it.
    if (`${url.pathname}${url.search}${url.hash}`.includes('@')) {
      problems.push(`DATABASE_URL: the host part ends before its last @ (an unencoded / ? or # in the user name or password). ${ENCODE_HINT}`);
      return undefined;
    }
    if (url.pathname.length <= 1) {
      problems.push(`DATABASE_URL: the URL names no database (expected mysql://user:password@host:3306/database). ${ENCODE_HINT}`);
      return undefined;
    }
    for (const [part, text] of [['user name', url.username], ['password', url.password]] as const) {
      try {
        decodeURIComponent(text);
      } catch {
        problems.push(`DATABASE_URL: the ${part} holds a % that does not start a percent-encoding (write % as %25). ${ENCODE_HINT}`);
        return undefined;
      }
    }
    return { kind: 'mariadb', url: value.replace(/^mariadb:/, 'mysql:') };
  }
  problems.push('DATABASE_URL: must start with mysql://, mariadb:// or sqlite:');
  return undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) {
    problems.push(`${name}: "${raw}" is not a whole number`);
    return fallback;
  }
  const value = Number(raw);
  if (value < min || value > max) problems.push(`${name}: ${value} is outside ${min}..${max}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  problems.push(`${name}: "${env[name]}" is not a boolean (use true or false)`);
  return fallback;
}

/** Validates the whole environment; throws one ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const host = env.HOST || '127.0.0.1';
  const port = integer(env, 'PORT', 8080, 0, 65535, problems);
  const databaseUrl = readSecret(env, 'DATABASE_URL', problems);
  const database = parseDatabaseUrl(databaseUrl ?? `sqlite:${DEFAULT_SQLITE_PATH}`, problems);
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  let publicUrl = env.PUBLIC_URL || undefined;
  if (publicUrl !== undefined) {
    try {
      const parsed = new URL(publicUrl);
      if (!['http:', 'https:'].includes(parsed.protocol)) problems.push('PUBLIC_URL: must be an http:// or https:// URL');
      publicUrl = publicUrl.replace(/\/+$/, '');
    } catch {
      problems.push(`PUBLIC_URL: "${publicUrl}" is not a valid URL`);
    }
  }
  const config: Config = {
    host,
    port,
    publicUrl,
    database: database ?? { kind: 'sqlite', path: DEFAULT_SQLITE_PATH },
    defaultDatabase: databaseUrl === undefined,
    migrateOnStart: boolean(env, 'MIGRATE_ON_START', true, problems),
    logLevel,
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024, problems),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000, problems),
    governance: loadGovernanceConfig(env, problems),
    rateLimit: loadRateLimitConfig(env, problems),
    principalCacheMs: integer(env, 'PRINCIPAL_CACHE_MS', DEFAULT_PRINCIPAL_CACHE_MS, 0, MAX_PRINCIPAL_CACHE_MS, problems),
  };
  const sync = loadSyncConfig(env, problems);
  const mail = loadMailConfig(env, problems);
  const consoleConfig = loadConsoleConfig(env, problems);
  const metrics = loadMetricsListenerConfig(env, port, problems);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return { ...config, ...(sync ? { sync } : {}), ...(mail ? { mail } : {}), console: consoleConfig, ...(metrics ? { metrics } : {}) };
}

function loadMetricsListenerConfig(env: Env, mainPort: number, problems: string[]): MetricsListenerConfig | undefined {
  if (env.METRICS_PORT === undefined || env.METRICS_PORT === '') {
    if (env.METRICS_HOST) problems.push('METRICS_HOST is set but METRICS_PORT is not: set METRICS_PORT to serve /metrics on a listener of its own');
    return undefined;
  }
  const port = integer(env, 'METRICS_PORT', 0, 1, 65535, problems);
  // The metrics listener answers without a token: it must never be the port SCIM is served on.
  if (port === mainPort) problems.push(`METRICS_PORT: ${port} is PORT as well; the metrics listener needs a port of its own`);
  return { host: env.METRICS_HOST || '127.0.0.1', port };
}

/** A claim name: letters, digits and `_ - . :` (e.g. email, preferred_username, upn). */
const CLAIM_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

function loadConsoleConfig(env: Env, problems: string[]): ConsoleConfig {
  const sessionIdleMinutes = integer(env, 'CONSOLE_SESSION_IDLE_MINUTES', 30, 1, 24 * 60, problems);
  const sessionHours = integer(env, 'CONSOLE_SESSION_HOURS', 12, 1, 24 * 30, problems);
  const oidc = loadOidcConfig(env, problems);
  return { sessionIdleMinutes, sessionHours, ...(oidc ? { oidc } : {}) };
}

function loadOidcConfig(env: Env, problems: string[]): OidcConfig | undefined {
  const issuer = env.OIDC_ISSUER || undefined;
  const clientSecret = readSecret(env, 'OIDC_CLIENT_SECRET', problems);
  if (issuer === undefined) {
    for (const name of ['OIDC_CLIENT_ID', 'OIDC_USER_CLAIM']) {
      if (env[name]) problems.push(`${name} is set but OIDC_ISSUER is not: set OIDC_ISSUER to enable sign-in with OpenID Connect`);
    }
    if (clientSecret !== undefined) problems.push('OIDC_CLIENT_SECRET is set but OIDC_ISSUER is not');
    return undefined;
  }
  try {
    const url = new URL(issuer);
    const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
    // OpenID Connect Discovery 1.0 §4: the issuer is an https URL; plain http only for a provider on this machine.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      problems.push('OIDC_ISSUER: must be an https:// URL (http:// only on this machine: localhost, 127.x.x.x, [::1])');
    }
  } catch {
    problems.push(`OIDC_ISSUER: "${issuer}" is not a valid URL`);
  }
  const clientId = env.OIDC_CLIENT_ID || '';
  if (clientId === '') problems.push('OIDC_CLIENT_ID: required when OIDC_ISSUER is set (the client id registered with the provider)');
  const userClaim = env.OIDC_USER_CLAIM || 'email';
  if (!CLAIM_NAME.test(userClaim)) problems.push(`OIDC_USER_CLAIM: "${userClaim}" is not a claim name (e.g. email, preferred_username, upn)`);
  if (env.PUBLIC_URL === undefined || env.PUBLIC_URL === '') {
    problems.push('PUBLIC_URL: required when OIDC_ISSUER is set (the redirect URI <PUBLIC_URL>/admin/oidc/callback is registered with the provider)');
  }
  return {
    issuer, clientId, userClaim,
    providerName: env.OIDC_PROVIDER_NAME?.trim() || 'single sign-on',
    ...(clientSecret === undefined ? {} : { clientSecret }),
  };
}

/** `local@domain`, or `Display Name <local@domain>`; no line breaks (it becomes a header). */
const MAIL_ADDRESS = /^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/;

function loadMailConfig(env: Env, problems: string[]): MailConfig | undefined {
  const url = readSecret(env, 'SMTP_URL', problems);
  if (url === undefined) return undefined;
  // The URL may hold a password: problems never quote it.
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    problems.push('SMTP_URL: not a valid URL (expected smtp://host:587 or smtps://user:password@host:465; '
      + 'percent-encode the user name and password)');
  }
  if (parsed && (!['smtp:', 'smtps:'].includes(parsed.protocol) || parsed.hostname === '')) {
    problems.push('SMTP_URL: must be smtp://host[:port] or smtps://host[:port] (user:password@ before the host when the server needs a login)');
  }
  const from = env.MAIL_FROM?.trim() ?? '';
  if (from === '') problems.push('MAIL_FROM: required when SMTP_URL is set (e.g. scimd <noreply@example.com>)');
  else if (!MAIL_ADDRESS.test(from)) problems.push(`MAIL_FROM: "${from}" is not an address (e.g. noreply@example.com or scimd <noreply@example.com>)`);
  return { url, from };
}

const APPROVAL_MODES: readonly ApprovalMode[] = ['none', 'high-risk', 'all'];

function loadGovernanceConfig(env: Env, problems: string[]): GovernanceConfig {
  const mode = (env.APPROVAL_MODE || 'high-risk') as ApprovalMode;
  if (!APPROVAL_MODES.includes(mode)) problems.push(`APPROVAL_MODE: must be one of ${APPROVAL_MODES.join(', ')}`);
  return {
    approvalMode: APPROVAL_MODES.includes(mode) ? mode : 'high-risk',
    approvalExpiryDays: integer(env, 'APPROVAL_EXPIRY_DAYS', 7, 1, 365, problems),
  };
}

const DEFAULT_USER_FILTER = '(&(objectCategory=person)(objectClass=user))';
const DEFAULT_GROUP_FILTER = '(objectClass=group)';

function loadSyncConfig(env: Env, problems: string[]): SyncConfig | undefined {
  const url = env.LDAP_URL || undefined;
  if (url === undefined) {
    for (const name of ['LDAP_BIND_DN', 'SYNC_BASE_DNS']) {
      if (env[name]) problems.push(`${name} is set but LDAP_URL is not: set LDAP_URL to enable Active Directory sync`);
    }
    return undefined;
  }
  const allowPlain = boolean(env, 'LDAP_ALLOW_PLAIN', false, problems);
  const startTls = boolean(env, 'LDAP_START_TLS', false, problems);
  if (!/^ldaps?:\/\/[^/]+/i.test(url)) problems.push('LDAP_URL: must be ldaps://host[:636] (or ldap:// with LDAP_START_TLS=true)');
  if (/^ldap:/i.test(url) && !startTls && !allowPlain) {
    problems.push('LDAP_URL: ldap:// sends the bind password in clear; use ldaps://, or set LDAP_START_TLS=true '
      + '(or LDAP_ALLOW_PLAIN=true on a trusted network only)');
  }
  const bindDn = env.LDAP_BIND_DN || '';
  if (bindDn === '') problems.push('LDAP_BIND_DN: required when LDAP_URL is set (the sync account in AD)');
  const bindPassword = readSecret(env, 'LDAP_BIND_PASSWORD', problems) ?? '';
  if (bindPassword === '') problems.push('LDAP_BIND_PASSWORD (or LDAP_BIND_PASSWORD_FILE): required when LDAP_URL is set');
  const baseDns = (env.SYNC_BASE_DNS ?? '').split(';').map((dn) => dn.trim()).filter((dn) => dn !== '');
  if (baseDns.length === 0) problems.push('SYNC_BASE_DNS: name at least one DN to sync (several separated by ";")');
  const caFile = env.LDAP_CA_FILE || undefined;
  if (caFile !== undefined) {
    try {
      readFileSync(caFile);
    } catch (error) {
      problems.push(`LDAP_CA_FILE: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const deletePolicy = env.SYNC_DELETE_POLICY || 'deactivate';
  if (deletePolicy !== 'deactivate' && deletePolicy !== 'delete') {
    problems.push('SYNC_DELETE_POLICY: must be deactivate or delete');
  }
  const schedule = (name: string, fallback: string): string | undefined => {
    const value = env[name];
    if (value === undefined) return fallback;
    if (value.trim() === '') return undefined;
    if (!cron.validate(value.trim())) problems.push(`${name}: "${value}" is not a cron expression (e.g. */30 * * * *)`);
    return value.trim();
  };
  return {
    ldap: {
      url, bindDn, bindPassword, startTls, allowPlain,
      ...(caFile ? { caFile } : {}),
      ...(env.LDAP_TLS_SERVERNAME ? { tlsServerName: env.LDAP_TLS_SERVERNAME } : {}),
    },
    baseDns,
    userFilter: env.SYNC_USER_FILTER || DEFAULT_USER_FILTER,
    groupFilter: env.SYNC_GROUP_FILTER || DEFAULT_GROUP_FILTER,
    ...(env.SYNC_MAPPING_FILE ? { mappingFile: env.SYNC_MAPPING_FILE } : {}),
    ...optional('scheduleDelta', schedule('SYNC_SCHEDULE_DELTA', '*/30 * * * *')),
    ...optional('scheduleFull', schedule('SYNC_SCHEDULE_FULL', '0 2 * * *')),
    deleteThreshold: integer(env, 'SYNC_DELETE_THRESHOLD', 500, 0, 10_000_000, problems),
    deleteThresholdPercent: integer(env, 'SYNC_DELETE_THRESHOLD_PERCENT', 10, 0, 100, problems),
    deletePolicy: deletePolicy === 'delete' ? 'delete' : 'deactivate',
    softMatchByUserName: boolean(env, 'SYNC_SOFT_MATCH', false, problems),
    schedulerEnabled: boolean(env, 'SYNC_SCHEDULER', true, problems),
    // At least 3 s (renewed each second); at most a day, beyond which a dead holder blocks the sync too long.
    leaseTtlSeconds: integer(env, 'SYNC_LEASE_TTL_SECONDS', DEFAULT_SYNC_LEASE_TTL_SECONDS, 3, 86_400, problems),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
