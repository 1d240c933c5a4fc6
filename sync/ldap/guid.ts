/**
 * Active Directory objectGUID ↔ its canonical string.
 *
 * AD stores a GUID as 16 bytes in Microsoft's in-memory layout: the first three fields (Data1: 4 bytes,
 * Data2: 2, Data3: 2) little-endian, the last 8 bytes as they are. The canonical string
 * (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower-case, as PowerShell and `samba-tool` print it) writes
 * each field big-endian, so the first three fields are byte-swapped relative to the stored bytes.
 */

export const GUID_BYTES = 16;

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Accepted on input in upper or lower case, optionally in braces (`{…}`, as Windows tools print it). */
const GUID_BODY = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ACCEPTED = new RegExp(`^\\{(${GUID_BODY})\\}$|^(${GUID_BODY})$`, 'i');

/** Where each of the 16 stored bytes goes in the canonical (big-endian) byte order. */
const STORED_TO_CANONICAL = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

export class InvalidGuidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGuidError';
  }
}

/** objectGUID bytes (16, AD layout) → canonical lower-case string. */
export function guidToString(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new InvalidGuidError('objectGUID must be a byte array');
  if (bytes.length !== GUID_BYTES) throw new InvalidGuidError(`objectGUID must be ${GUID_BYTES} bytes, got ${bytes.length}`);
  let hex = '';
  for (const from of STORED_TO_CANONICAL) hex += (bytes[from] as number).toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a canonical GUID string (lower-case, no braces): the form anchors are stored in. */
export function isCanonicalGuid(value: string): boolean {
  return CANONICAL.test(value);
}

/** A GUID string in any case, with or without braces → canonical form. Throws InvalidGuidError otherwise. */
export function normalizeGuid(value: string): string {
  if (typeof value !== 'string') throw new InvalidGuidError('GUID must be a string');
  const match = ACCEPTED.exec(value.trim());
  const body = match?.[1] ?? match?.[2];
  if (body == null) throw new InvalidGuidError(`not a GUID: ${JSON.stringify(value.slice(0, 60))}`);
  return body.toLowerCase();
}

/** A GUID string (see normalizeGuid) → the 16 bytes AD stores (first three fields little-endian). */
export function guidToBytes(value: string): Buffer {
  const hex = normalizeGuid(value).replace(/-/g, '');
  const canonical = Buffer.from(hex, 'hex');
  const stored = Buffer.alloc(GUID_BYTES);
  STORED_TO_CANONICAL.forEach((from, to) => {
    stored[from] = canonical[to] as number;
  });
  return stored;
}

/** Hex digit values by character code ('0'-'9', 'a'-'f', 'A'-'F'); -1 for any other character. */
const HEX_VALUES = Int8Array.from({ length: 128 }, (_, code) => '0123456789abcdef'.indexOf(String.fromCharCode(code).toLowerCase()));

/**
 * The 16 bytes of a GUID in canonical text (8-4-4-4-12 hex digits, either case), in the text's order
 * (not AD's stored layout: see guidToBytes), written into `into`; false, with `into` left undefined,
 * for any other text. No pattern, lower-casing or Buffer per call: the full run's SeenUsers parses an
 * anchor at every look-up.
 */
export function parseGuidInto(text: string, into: Uint8Array): boolean {
  if (text.length !== 36) return false;
  let byte = 0;
  let i = 0;
  while (i < 36) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (text.charCodeAt(i) !== 0x2d) return false; // '-'
      i += 1;
      continue;
    }
    const high = hexValue(text.charCodeAt(i));
    const low = hexValue(text.charCodeAt(i + 1));
    if (high < 0 || low < 0) return false;
    into[byte] = (high << 4) | low;
    byte += 1;
    i += 2;
  }
  return true;
}

function hexValue(code: number): number {
  return code < 128 ? HEX_VALUES[code] as number : -1;
}

/**
 * The value to put after `(objectGUID=` in an LDAP filter string: every one of the 16 stored bytes escaped
 * as `\xx` (RFC 4515), so the binary value survives whatever bytes it contains. (With ldapts, whose filter
 * parser mangles escaped bytes ≥ 0x80, use filters.ts' guidEqualityFilter instead.)
 */
export function guidFilterValue(guid: string | Uint8Array): string {
  const bytes = typeof guid === 'string' ? guidToBytes(guid) : Buffer.from(validBytes(guid));
  let out = '';
  for (const byte of bytes) out += `\\${byte.toString(16).padStart(2, '0')}`;
  return out;
}

function validBytes(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== GUID_BYTES) {
    throw new InvalidGuidError(`objectGUID must be ${GUID_BYTES} bytes`);
  }
  return bytes;
}
