/**
 * Ranged retrieval of multi-valued attributes (`member;range=0-1499`), as Active Directory requires for
 * large groups: AD returns at most MaxValRange (1500 by default) values of `member` per request and marks
 * the chunk with the range it holds (`member;range=0-1499`); the last chunk's range ends in `*`
 * (`member;range=3000-*`). Asking for the ranges explicitly every time gives one code path for small and
 * large groups and for servers that do not truncate (Samba returns everything unless asked for a range).
 */
import type { Client, Entry } from 'ldapts';
import { entryAttributes, type RawValue } from './entries';

export const MEMBER_RANGE_SIZE = 1500;

/** The part of ldapts' Client the directory reader uses (a fake can stand in for it in unit tests). */
export type LdapSearcher = Pick<Client, 'search' | 'searchPaginated'>;

export interface AttributeRange {
  readonly low: number;
  /** null for `*`: this chunk is the last. */
  readonly high: number | null;
}

/** `member;range=1500-2999` → { base: 'member', range: { low: 1500, high: 2999 } }; no range option → range null. */
export function parseRangedName(name: string): { base: string; range: AttributeRange | null } {
  const [base = '', ...options] = name.split(';');
  let range: AttributeRange | null = null;
  const rest: string[] = [];
  for (const option of options) {
    const match = /^range=(\d+)-(\d+|\*)$/i.exec(option);
    if (match) {
      const low = Number(match[1]);
      const high = match[2] === '*' ? null : Number(match[2]);
      if (high != null && high < low) throw new Error(`invalid range in attribute ${name}`);
      range = { low, high };
    } else {
      rest.push(option);
    }
  }
  return { base: [base, ...rest].join(';'), range };
}

/** The attribute description asking for `size` values starting at `low`: `member;range=low-(low+size-1)`. */
export function rangedAttribute(base: string, low: number, size: number = MEMBER_RANGE_SIZE): string {
  if (!Number.isInteger(low) || low < 0) throw new RangeError('range start must be a non-negative integer');
  if (!Number.isInteger(size) || size < 1) throw new RangeError('range size must be a positive integer');
  return `${base};range=${low}-${low + size - 1}`;
}

export interface RangedChunk {
  /** False when the entry holds no values of the attribute at all (under any range). */
  readonly found: boolean;
  readonly values: readonly string[];
  /** Where the next request starts; null when this chunk completes the attribute. */
  readonly next: number | null;
  readonly range: AttributeRange | null;
}

/**
 * The chunk of `base` (e.g. `member`) in one entry. A value-less attribute is treated as absent (a server never
 * returns one; ldapts adds requested attributes that did not come back as empty arrays).
 */
export function rangedChunk(entry: Entry, base: string): RangedChunk {
  const wanted = base.toLowerCase();
  let chunk: RangedChunk = { found: false, values: [], next: null, range: null };
  for (const [name, values] of entryAttributes(entry)) {
    const parsed = parseRangedName(name);
    if (parsed.base !== wanted) continue;
    const strings = values.map((v: RawValue) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
    if (parsed.range == null) {
      // The whole attribute, unranged: complete by definition.
      return { found: true, values: strings, next: null, range: null };
    }
    chunk = { found: true, values: strings, range: parsed.range, next: parsed.range.high == null ? null : parsed.range.high + 1 };
  }
  return chunk;
}

/**
 * All values of a ranged attribute of `dn`, starting from a chunk already in hand (the one that came with the
 * entry's search) and asking for the following ranges, `size` at a time, until a range ending in `*`.
 */
export async function readRemainingRanges(
  client: LdapSearcher,
  dn: string,
  base: string,
  first: RangedChunk,
  size: number = MEMBER_RANGE_SIZE,
): Promise<string[]> {
  const values = [...first.values];
  let next = first.next;
  while (next != null) {
    const attribute = rangedAttribute(base, next, size);
    const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [attribute] });
    const entry = searchEntries[0];
    if (!entry) throw new Error(`${dn} disappeared while reading ${base} ranges`);
    const chunk = rangedChunk(entry, base);
    // Nothing at or after `next`: the list ended exactly at the previous chunk (or shrank meanwhile).
    if (!chunk.found) break;
    if (chunk.range == null) return chunk.values.slice(); // the server ignored the range: this is the whole list
    if (chunk.range.low !== next) throw new Error(`asked ${dn} for ${attribute}, got a range starting at ${chunk.range.low}`);
    values.push(...chunk.values);
    next = chunk.next;
  }
  return values;
}
