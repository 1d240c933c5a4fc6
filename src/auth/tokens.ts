import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API tokens look like `scimd_<id>_<secret>`: the prefix makes a leaked token recognisable to
 * secret scanners, the 16-hex-digit id finds the row without revealing anything, and the secret
 * (32 random bytes, base64url) is stored only as its SHA-256. A fast hash is right here: the secret
 * has 256 bits of entropy, so there is nothing to brute-force, and every request verifies one.
 */
export const TOKEN_PREFIX = 'scimd_';
const ID_PATTERN = /^[0-9a-f]{16}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  readonly id: string;
  readonly token: string;
  readonly secretHash: string;
}

export function issueToken(): IssuedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const rest = token.slice(TOKEN_PREFIX.length);
  const id = rest.slice(0, 16);
  const secret = rest.slice(17);
  if (rest[16] !== '_' || !ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return undefined;
  return { id, secret };
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

/** Parses `90d`, `12h`, `30m`, `1y` into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([mhdwy])$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[
    (match[2] ?? '').toLowerCase() as 'm' | 'h' | 'd' | 'w' | 'y'];
  const amount = Number(match[1]);
  return amount > 0 ? amount * unit : undefined;
}
