/**
 * Search entries as ldapts returns them → lower-cased attribute names and string values.
 *
 * ldapts decodes every value as UTF-8 unless it is not valid UTF-8 or the attribute is listed in
 * `explicitBufferAttributes`, which it matches by the exact spelling the server returns. AD returns
 * attribute names in their schema spelling (`objectGUID`), whatever case was asked for, so binary
 * attributes are listed in that spelling as well as in the spelling requested.
 */
import type { Entry } from 'ldapts';
import { guidToString } from './guid';
import { sidToString } from './sid';

export type RawValue = string | Buffer;

/** Binary attributes a sync may fetch, in AD's schema spelling, and how to show them as strings. */
const BINARY_ATTRIBUTES: ReadonlyMap<string, { readonly spelling: string; readonly as: 'guid' | 'sid' | 'base64' }> = new Map([
  ['objectguid', { spelling: 'objectGUID', as: 'guid' }],
  ['invocationid', { spelling: 'invocationId', as: 'guid' }],
  ['ms-ds-consistencyguid', { spelling: 'mS-DS-ConsistencyGuid', as: 'guid' }],
  ['msexchmailboxguid', { spelling: 'msExchMailboxGuid', as: 'guid' }],
  ['objectsid', { spelling: 'objectSid', as: 'sid' }],
  ['sidhistory', { spelling: 'sIDHistory', as: 'sid' }],
  ['thumbnailphoto', { spelling: 'thumbnailPhoto', as: 'base64' }],
  ['jpegphoto', { spelling: 'jpegPhoto', as: 'base64' }],
  ['usercertificate', { spelling: 'userCertificate', as: 'base64' }],
] as const);

/** The `explicitBufferAttributes` for a request of these attributes. */
export function bufferAttributesFor(requested: readonly string[]): string[] {
  const names = new Set<string>();
  for (const name of requested) {
    const binary = BINARY_ATTRIBUTES.get(name.toLowerCase());
    if (binary) {
      names.add(name);
      names.add(name.toLowerCase());
      names.add(binary.spelling);
    }
  }
  return [...names];
}

/**
 * Entry attributes by lower-cased name (the DN excluded). Attributes with no values are left out.
 * The lists are the entry's own (a single value wrapped), copied only to merge two spellings of one
 * attribute: a full sync makes one of these maps for every user of the directory.
 */
export function entryAttributes(entry: Entry): Map<string, readonly RawValue[]> {
  const out = new Map<string, readonly RawValue[]>();
  for (const name of Object.keys(entry)) {
    if (name === 'dn') continue;
    const value = entry[name] as RawValue | RawValue[];
    const values: readonly RawValue[] = Array.isArray(value) ? value : [value];
    if (values.length === 0) continue;
    const key = name.toLowerCase();
    const existing = out.get(key);
    out.set(key, existing === undefined ? values : [...existing, ...values]);
  }
  return out;
}

/** The one value of a single-valued attribute, or undefined when absent. */
export function firstValue(attributes: ReadonlyMap<string, readonly RawValue[]>, name: string): RawValue | undefined {
  return attributes.get(name.toLowerCase())?.[0];
}

export function firstString(attributes: ReadonlyMap<string, readonly RawValue[]>, name: string): string | undefined {
  const value = firstValue(attributes, name);
  return value == null ? undefined : Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

/** A binary attribute's first value; a value ldapts decoded to text (not asked for as a buffer) is refused. */
export function firstBuffer(attributes: ReadonlyMap<string, readonly RawValue[]>, name: string): Buffer | undefined {
  const value = firstValue(attributes, name);
  if (value == null) return undefined;
  if (!Buffer.isBuffer(value)) throw new Error(`${name} came back as text, not binary: request it with explicitBufferAttributes`);
  return value;
}

/**
 * One attribute's values as strings: GUIDs and SIDs in their string forms, other binary values
 * base64. A text attribute whose values all came as text (nearly all of them) is the list given.
 */
export function stringValues(name: string, values: readonly RawValue[]): readonly string[] {
  const binary = BINARY_ATTRIBUTES.get(name.toLowerCase());
  if (binary === undefined && values.every((value) => typeof value === 'string')) return values as readonly string[];
  return values.map((value) => {
    if (!Buffer.isBuffer(value)) return value;
    switch (binary?.as) {
      case 'guid': return guidToString(value);
      case 'sid': return sidToString(value);
      default: return value.toString('base64');
    }
  });
}

/** uSNChanged and highestCommittedUSN: 64-bit counters, in practice far below 2^53. */
export function parseUsn(value: string | undefined, what: string): number {
  if (value == null || !/^\d{1,16}$/.test(value.trim())) throw new Error(`${what} is missing or not an unsigned integer: ${JSON.stringify(value)}`);
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n)) throw new Error(`${what} is too large: ${value}`);
  return n;
}
