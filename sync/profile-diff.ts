/**
 * Compares a stored profile with a mapped one, attribute by attribute, the way the sync report
 * shows it: `name.*` and `enterprise.*` one level down, everything else by top-level attribute.
 * Key order, the order of multi-valued items, and absent vs empty (null, [], {}) do not count.
 */
import type { AttributeChange } from './types';

type View = Map<string, unknown>;

/**
 * The changes that turn `before` into `after` (profiles, or any JSON objects: it compares by shape); `active` is passed apart (the store's column is the
 * truth). `beforeActive` undefined means there is no before (a creation): `active` is then listed too.
 */
export function diffProfiles(
  before: object,
  beforeActive: boolean | undefined,
  after: object,
  afterActive: boolean,
): AttributeChange[] {
  const from = view(before, beforeActive);
  const to = view(after, afterActive);
  const names = [...new Set([...from.keys(), ...to.keys()])].sort(compareNames);
  const changes: AttributeChange[] = [];
  for (const attribute of names) {
    const a = from.get(attribute);
    const b = to.get(attribute);
    // On one side only (every attribute of a creation): a change, with no need to compare.
    if (a !== undefined && b !== undefined && canonical(a) === canonical(b)) continue;
    changes.push({ attribute, ...(a === undefined ? {} : { from: a }), ...(b === undefined ? {} : { to: b }) });
  }
  return changes;
}

/** userName first, active last, the rest alphabetically. */
function compareNames(a: string, b: string): number {
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * An attribute's place in compareNames. At module level: a closure made inside the comparator
 * costs an allocation (and tsx's name-keeping wrapper) on every one of a sort's comparisons.
 */
function rank(name: string): number {
  return name === 'userName' ? 0 : name === 'active' ? 2 : 1;
}

function view(profile: object, active: boolean | undefined): View {
  const result: View = new Map();
  for (const [key, value] of Object.entries(profile)) {
    if (key === 'active') continue;
    if ((key === 'name' || key === 'enterprise') && isObject(value)) {
      for (const [child, childValue] of Object.entries(value)) {
        const normalized = key === 'enterprise' && child === 'manager' ? managerValue(childValue) : normalize(childValue);
        if (normalized !== undefined) result.set(`${key}.${child}`, normalized);
      }
      continue;
    }
    const normalized = normalize(value);
    if (normalized !== undefined) result.set(key, normalized);
  }
  if (active !== undefined) result.set('active', active);
  return result;
}

/** A manager is compared by its value (the user id); display names and $ref follow from it. */
function managerValue(value: unknown): unknown {
  if (isObject(value)) return normalize(value['value']);
  return normalize(value);
}

/**
 * Absent, null, [] and {} (also once nested) become undefined; arrays are sorted by their items'
 * canonical text. Loops rather than entries/map/filter chains: the planner normalises every
 * attribute of every user a full sync reads.
 */
function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      const normalized = normalize(item);
      if (normalized !== undefined) items.push(normalized);
    }
    if (items.length === 0) return undefined;
    if (items.length === 1) return items;
    const keyed = items.map((item) => ({ item, key: canonical(item) }));
    keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    return keyed.map((entry) => entry.item);
  }
  if (isObject(value)) {
    let result: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const normalized = normalize(value[key]);
      if (normalized === undefined) continue;
      result ??= {};
      // As Object.fromEntries would: a key named __proto__ (JSON.parse makes one) stays a key.
      if (key === '__proto__') Object.defineProperty(result, key, { value: normalized, enumerable: true, writable: true, configurable: true });
      else result[key] = normalized;
    }
    return result;
  }
  return value;
}

/** JSON with object keys sorted: equal for values that differ only in key order. */
export function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
