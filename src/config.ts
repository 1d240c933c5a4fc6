import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';

/**
 * Runtime configuration, read from the environment once at start and validated as a whole so an
 * operator sees every problem at once. Secrets may come from `<NAME>_FILE` (Docker/Kubernetes secrets).
 */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'mariadb'; readonly url: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  /**
   * Base URL clients use to reach the server, for `meta.location` and `Location` headers.
   * Undefined: the address the server listens on.
   */
  readonly publicUrl: string | undefined;
  readonly database: DatabaseConfig;
  readonly migrateOnStart: boolean;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
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
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push('DATABASE_URL: not a valid URL (expected mysql://user:password@host:3306/database)');
      return undefined;
    }
    if (url.pathname.length <= 1) {
      problems.push('DATABASE_URL: the URL names no database (expected mysql://user:password@host:3306/database)');
      return undefined;
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
  const databaseUrl = readSecret(env, 'DATABASE_URL', problems) ?? `sqlite:${DEFAULT_SQLITE_PATH}`;
  const database = parseDatabaseUrl(databaseUrl, problems);
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
    migrateOnStart: boolean(env, 'MIGRATE_ON_START', true, problems),
    logLevel,
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024, problems),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000, problems),
  };
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}
