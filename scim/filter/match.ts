/**
 * In-memory evaluation of a SCIM filter (RFC 7644 §3.4.2.2) against a JSON resource or a value of a
 * multi-valued attribute (PATCH `members[value eq "x"]`).
 *
 * Semantics:
 * - Object keys are looked up case-insensitively (an exact match wins).
 * - `uri:attr` looks under the key equal to the URI; for the core User/Group schema URIs it falls back
 *   to the top level, where core attributes live.
 * - Multi-valued attributes match when any element matches, for every operator (`ne` included).
 *   A complex value without an explicit sub-attribute is compared through its `value` sub-attribute.
 * - An absent attribute matches nothing, except `eq null` (true when absent) and `ne null` (true when
 *   present): RFC 7643 §2.5 treats unassigned, null and empty as the same.
 * - Strings compare case-insensitively unless `caseExact(path)` says otherwise; inside a value path the
 *   path given to `caseExact` is the full one (`emails[type eq "x"]` asks about `emails.type`). When both
 *   sides of eq/ne/gt/ge/lt/le are ISO 8601 date-times they compare as instants.
 * - Numbers compare numerically; booleans only with eq/ne. Mismatched types never match.
 */
import type { AttributePath, CompareOperator, Filter } from './ast';

export interface MatchOptions {
  /** Whether string comparisons on this attribute are case-sensitive (RFC 7643 `caseExact`). */
  readonly caseExact?: (path: AttributePath) => boolean;
}

type JsonObject = Record<string, unknown>;

const CORE_SCHEMAS: ReadonlySet<string> = new Set([
  'urn:ietf:params:scim:schemas:core:2.0:user',
  'urn:ietf:params:scim:schemas:core:2.0:group',
]);

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?$/;

export function matchesFilter(filter: Filter, target: Record<string, unknown>, options: MatchOptions = {}): boolean {
  return evaluate(filter, target, undefined, options);
}

function evaluate(filter: Filter, scope: JsonObject, parent: AttributePath | undefined, options: MatchOptions): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, scope, parent, options) && evaluate(filter.right, scope, parent, options);
    case 'or':
      return evaluate(filter.left, scope, parent, options) || evaluate(filter.right, scope, parent, options);
    case 'not':
      return !evaluate(filter.filter, scope, parent, options);
    case 'present':
      return isPresent(resolve(scope, filter.path));
    case 'compare': {
      const value = resolve(scope, filter.path);
      if (filter.value === null) {
        if (filter.op === 'eq') return !isPresent(value);
        if (filter.op === 'ne') return isPresent(value);
        return false;
      }
      const expected = filter.value;
      const exact = options.caseExact?.(fullPath(filter.path, parent)) ?? false;
      return leaves(value).some((actual) => compareLeaf(filter.op, actual, expected, exact));
    }
    case 'valuePath': {
      const value = resolve(scope, filter.path);
      const elements = Array.isArray(value) ? value : [value];
      return elements.some((element) => {
        if (element === undefined || element === null) return false;
        const item = isObject(element) ? element : { value: element };
        return evaluate(filter.filter, item, filter.path, options);
      });
    }
  }
}

/** The path as seen from the resource: a relative `type` inside `emails[...]` is `emails.type`. */
function fullPath(path: AttributePath, parent: AttributePath | undefined): AttributePath {
  if (parent === undefined || path.uri !== undefined || path.subAttribute !== undefined) return path;
  return {
    ...(parent.uri !== undefined ? { uri: parent.uri } : {}),
    attribute: parent.attribute,
    subAttribute: path.attribute,
  };
}

function resolve(scope: JsonObject, path: AttributePath): unknown {
  let value: unknown;
  if (path.uri === undefined) {
    value = getKey(scope, path.attribute);
  } else {
    const container = getKey(scope, path.uri);
    if (isObject(container)) value = getKey(container, path.attribute);
    if (value === undefined && CORE_SCHEMAS.has(path.uri.toLowerCase())) value = getKey(scope, path.attribute);
  }
  if (path.subAttribute === undefined) return value;
  const name = path.subAttribute;
  if (Array.isArray(value)) return value.map((element) => (isObject(element) ? getKey(element, name) : undefined));
  return isObject(value) ? getKey(value, name) : undefined;
}

/** The simple values a comparison looks at: array elements, and `value` of complex values. */
function leaves(value: unknown): unknown[] {
  const list = Array.isArray(value) ? value : [value];
  const result: unknown[] = [];
  for (const item of list) {
    const leaf = isObject(item) ? getKey(item, 'value') : item;
    if (Array.isArray(leaf)) result.push(...leaf);
    else if (leaf !== undefined && leaf !== null) result.push(leaf);
  }
  return result;
}

function compareLeaf(op: CompareOperator, actual: unknown, expected: string | number | boolean, exact: boolean): boolean {
  if (typeof expected === 'boolean') {
    if (typeof actual !== 'boolean') return false;
    if (op === 'eq') return actual === expected;
    if (op === 'ne') return actual !== expected;
    return false;
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return false;
    return order(op, actual === expected ? 0 : actual < expected ? -1 : 1);
  }
  if (typeof actual !== 'string') return false;
  if (op !== 'co' && op !== 'sw' && op !== 'ew') {
    const left = parseDateTime(actual);
    const right = parseDateTime(expected);
    if (left !== undefined && right !== undefined) return order(op, Math.sign(left - right));
  }
  const a = exact ? actual : actual.toLowerCase();
  const e = exact ? expected : expected.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default:
      return order(op, a === e ? 0 : a < e ? -1 : 1);
  }
}

/** Applies an ordering operator to the sign of (actual - expected). */
function order(op: CompareOperator, sign: number): boolean {
  switch (op) {
    case 'eq':
      return sign === 0;
    case 'ne':
      return sign !== 0;
    case 'gt':
      return sign > 0;
    case 'ge':
      return sign >= 0;
    case 'lt':
      return sign < 0;
    case 'le':
      return sign <= 0;
    default:
      return false;
  }
}

/** Milliseconds since the epoch for an ISO 8601 date-time (UTC when no offset is given), else undefined. */
function parseDateTime(text: string): number | undefined {
  const upper = text.toUpperCase();
  if (!DATE_TIME.test(upper)) return undefined;
  const hasZone = /(?:Z|[+-]\d{2}:\d{2})$/.test(upper);
  const millis = Date.parse(hasZone ? upper : `${upper}Z`);
  return Number.isNaN(millis) ? undefined : millis;
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getKey(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() === lower) return object[key];
  }
  return undefined;
}
