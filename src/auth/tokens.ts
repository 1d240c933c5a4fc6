import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidError } from '../errors';

/**
 * API tokens look like `scimd_<id>_<secret>` (a service account's) or `scimd_p_<id>_<secret>`
 * (a person's personal access token). The common `scimd_` prefix makes a leaked token of either
 * kind recognisable to secret scanners (one pattern: `scimd_(p_)?[0-9a-f]{16}_[A-Za-z0-9_-]{43}`);
 * the `p_` (not a hex digit, so never the start of an id) says which table holds it, so that one
 * indexed look-up finds the row. The 16-hex-digit id finds the row without revealing anything, and
 * the secret (32 random bytes, base64url) is stored only as its SHA-256. A fast hash is right here:
 * the secret has 256 bits of entropy, so there is nothing to brute-force, and every request
 * verifies one.
 */
export const TOKEN_PREFIX = 'scimd_';
export const PERSONAL_TOKEN_PREFIX = 'scimd_p_';
const ID_PATTERN = /^[0-9a-f]{16}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Whose token it is: a service account's (api_tokens) or a person's (personal_tokens). */
export type TokenKind = 'service' | 'personal';

const PREFIX_OF: Readonly<Record<TokenKind, string>> = { service: TOKEN_PREFIX, personal: PERSONAL_TOKEN_PREFIX };

export interface IssuedToken {
  readonly id: string;
  readonly token: string;
  readonly secretHash: string;
}

export interface ParsedToken {
  readonly kind: TokenKind;
  readonly id: string;
  readonly secret: string;
}

export function issueToken(kind: TokenKind = 'service'): IssuedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${PREFIX_OF[kind]}${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): ParsedToken | undefined {
  const kind: TokenKind | undefined = token.startsWith(PERSONAL_TOKEN_PREFIX) ? 'personal'
    : token.startsWith(TOKEN_PREFIX) ? 'service' : undefined;
  if (kind === undefined) return undefined;
  const rest = token.slice(PREFIX_OF[kind].length);
  const id = rest.slice(0, 16);
  const secret = rest.slice(17);
  if (rest[16] !== '_' || !ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return undefined;
  return { kind, id, secret };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** lastUsedAt is written at most this often per token, so that reads stay reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** True when a token last used at `lastUsedAt` should have its lastUsedAt written again at `now`. */
export function lastUseDue(lastUsedAt: string | null, now: string): boolean {
  return lastUsedAt === null || Date.parse(now) - Date.parse(lastUsedAt) > LAST_USED_RESOLUTION_MS;
}

/** Expiries are stored as ISO 8601 UTC so that comparing them as text compares instants. */
export function normalizeExpiry(expiresAt: string | undefined): string | null {
  if (expiresAt === undefined) return null;
  const time = Date.parse(expiresAt);
  if (Number.isNaN(time)) throw invalidError(`Token expiry "${expiresAt}" is not a date and time`);
  return new Date(time).toISOString();
}

/** Parses `90d`, `12h`, `30m`, `1y` into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([mhdwy])$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[
    (match[2] ?? '').toLowerCase() as 'm' | 'h' | 'd' | 'w' | 'y'];
  const amount = Number(match[1]);
  return amount > 0 ? amount * unit : undefined;
}
