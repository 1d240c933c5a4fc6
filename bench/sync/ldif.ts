/**
 * LDIF (RFC 2849) text for entries to add, produced a piece at a time: a group's member list can hold
 * 100,000 values, so neither an entry nor the whole file is ever built as one string.
 */

/** An entry to add: its DN and its attributes, each with its values (a generator for long lists). */
export interface LdifEntry {
  readonly dn: string;
  readonly attributes: ReadonlyArray<readonly [name: string, values: Iterable<string>]>;
}

/**
 * RFC 2849's SAFE-STRING: printable ASCII, not starting with a space, colon or "<", not ending with a space.
 * Anything else (non-ASCII names, for instance) is written base64-encoded after "::".
 */
const SAFE_STRING = /^(?:[\x21-\x39\x3b\x3d-\x7f][\x20-\x7f]*)?$/;

export function ldifLine(name: string, value: string): string {
  return SAFE_STRING.test(value) && !value.endsWith(' ')
    ? `${name}: ${value}\n`
    : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}\n`;
}

/** Lines are gathered into chunks of about this many characters before they are handed on. */
const CHUNK_CHARS = 64 * 1024;

/** The LDIF of `entries` in chunks of ~64 KiB, each entry ending with an empty line. */
export function* ldifChunks(entries: Iterable<LdifEntry>): Generator<string> {
  let chunk = '';
  for (const entry of entries) {
    chunk += ldifLine('dn', entry.dn);
    for (const [name, values] of entry.attributes) {
      for (const value of values) {
        chunk += ldifLine(name, value);
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
    }
    chunk += '\n';
  }
  if (chunk !== '') yield chunk;
}
