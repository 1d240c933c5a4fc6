/**
 * userAccountControl flags and accountExpires: whether an AD account may sign in.
 *
 * userAccountControl is a 32-bit flag word (returned as a decimal string). accountExpires is a Windows
 * FILETIME: 100-nanosecond intervals since 1601-01-01T00:00:00Z, as a decimal 64-bit integer, where
 * both 0 and 0x7FFFFFFFFFFFFFFF mean "never expires".
 */

/** userAccountControl flags (MS-ADTS 2.2.16). */
export const UAC = {
  SCRIPT: 0x1,
  ACCOUNTDISABLE: 0x2,
  HOMEDIR_REQUIRED: 0x8,
  LOCKOUT: 0x10,
  PASSWD_NOTREQD: 0x20,
  PASSWD_CANT_CHANGE: 0x40,
  ENCRYPTED_TEXT_PWD_ALLOWED: 0x80,
  TEMP_DUPLICATE_ACCOUNT: 0x100,
  NORMAL_ACCOUNT: 0x200,
  INTERDOMAIN_TRUST_ACCOUNT: 0x800,
  WORKSTATION_TRUST_ACCOUNT: 0x1000,
  SERVER_TRUST_ACCOUNT: 0x2000,
  DONT_EXPIRE_PASSWORD: 0x10000,
  MNS_LOGON_ACCOUNT: 0x20000,
  SMARTCARD_REQUIRED: 0x40000,
  TRUSTED_FOR_DELEGATION: 0x80000,
  NOT_DELEGATED: 0x100000,
  USE_DES_KEY_ONLY: 0x200000,
  DONT_REQ_PREAUTH: 0x400000,
  PASSWORD_EXPIRED: 0x800000,
  TRUSTED_TO_AUTH_FOR_DELEGATION: 0x1000000,
  PARTIAL_SECRETS_ACCOUNT: 0x4000000,
} as const;

export type UacFlag = keyof typeof UAC;

/** An enabled normal user (512) and a disabled one (514): the values most directories hold. */
export const UAC_NORMAL_ENABLED = UAC.NORMAL_ACCOUNT;
export const UAC_NORMAL_DISABLED = UAC.NORMAL_ACCOUNT | UAC.ACCOUNTDISABLE;

/** accountExpires value meaning "never" (besides 0). */
export const ACCOUNT_EXPIRES_NEVER = '9223372036854775807';
const NEVER_MAX = 0x7fffffffffffffffn;
/** FILETIME of 1970-01-01T00:00:00Z. */
const UNIX_EPOCH_FILETIME = 116444736000000000n;
const TICKS_PER_MS = 10000n;

export class InvalidAccountValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAccountValueError';
  }
}

/**
 * userAccountControl as a number (unsigned 32-bit). Accepts the decimal string AD returns (a negative
 * value, as a signed 32-bit reading of the same word, is accepted too) or a number.
 */
export function parseUserAccountControl(value: string | number): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!/^-?\d{1,10}$/.test(text)) throw new InvalidAccountValueError(`userAccountControl is not an integer: ${JSON.stringify(String(value).slice(0, 40))}`);
  const n = Number(text);
  if (n < -0x80000000 || n > 0xffffffff) throw new InvalidAccountValueError(`userAccountControl out of 32-bit range: ${text}`);
  return n >>> 0;
}

export function hasUacFlag(uac: string | number, flag: UacFlag | number): boolean {
  const bit = typeof flag === 'number' ? flag : UAC[flag];
  return (parseUserAccountControl(uac) & bit) !== 0;
}

/** ACCOUNTDISABLE (0x2) is set. */
export function isDisabled(uac: string | number): boolean {
  return hasUacFlag(uac, UAC.ACCOUNTDISABLE);
}

/** The flag names set in a userAccountControl value, for reports. */
export function uacFlagNames(uac: string | number): UacFlag[] {
  const n = parseUserAccountControl(uac);
  return (Object.keys(UAC) as UacFlag[]).filter((name) => (n & UAC[name]) !== 0);
}

function parseFiletime(value: string | bigint): bigint {
  if (typeof value === 'bigint') return value;
  const text = value.trim();
  if (!/^-?\d{1,19}$/.test(text)) throw new InvalidAccountValueError(`accountExpires is not an integer: ${JSON.stringify(value.slice(0, 40))}`);
  return BigInt(text);
}

/**
 * accountExpires → the moment the account expires, or 'never' (0, 0x7FFFFFFFFFFFFFFF, or the attribute
 * absent: undefined). Throws InvalidAccountValueError for a value that is not an integer in range.
 */
export function accountExpiresToDate(value: string | bigint | undefined | null): Date | 'never' {
  if (value == null) return 'never';
  const filetime = parseFiletime(value);
  if (filetime === 0n || filetime === NEVER_MAX) return 'never';
  if (filetime < 0n || filetime > NEVER_MAX) throw new InvalidAccountValueError(`accountExpires out of range: ${filetime}`);
  // Whole milliseconds, rounded down (BigInt division truncates toward zero, so adjust before 1970).
  const ticks = filetime - UNIX_EPOCH_FILETIME;
  let ms = ticks / TICKS_PER_MS;
  if (ticks < 0n && ticks % TICKS_PER_MS !== 0n) ms -= 1n;
  return new Date(Number(ms));
}

/** A moment → accountExpires (FILETIME, decimal string); 'never' → 0x7FFFFFFFFFFFFFFF. */
export function dateToAccountExpires(date: Date | 'never'): string {
  if (date === 'never') return ACCOUNT_EXPIRES_NEVER;
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new InvalidAccountValueError('invalid Date');
  const filetime = BigInt(ms) * TICKS_PER_MS + UNIX_EPOCH_FILETIME;
  if (filetime <= 0n) throw new InvalidAccountValueError(`${date.toISOString()} is before 1601-01-01`);
  return filetime.toString();
}

/** The account has an expiry and it is at or before `now`. */
export function isExpired(accountExpires: string | bigint | undefined | null, now: Date = new Date()): boolean {
  const expires = accountExpiresToDate(accountExpires);
  return expires !== 'never' && expires.getTime() <= now.getTime();
}
