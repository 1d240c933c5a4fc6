/** Small helpers on JSON values shared by the PATCH modules. */
import type { AttributeDefinition, ScimObject } from '../schema/types';

export function isPlainObject(value: unknown): value is ScimObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key of `object` equal to `name` ignoring case (RFC 7643 §2.1), if any. */
export function keyOf(object: ScimObject, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const wanted = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === wanted);
}

/** The value stored under `name` ignoring case. */
export function getKey(object: ScimObject, name: string): unknown {
  const key = keyOf(object, name);
  return key === undefined ? undefined : object[key];
}

/** Stores `value` under the canonical `name`, dropping keys that differ from it only in case. */
export function setKey(object: ScimObject, name: string, value: unknown): void {
  if (!Object.hasOwn(object, name)) deleteKey(object, name);
  object[name] = value;
}

/** Deletes every key equal to `name` ignoring case. */
export function deleteKey(object: ScimObject, name: string): void {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(object)) {
    if (key.toLowerCase() === wanted) delete object[key];
  }
}

/** Case-insensitive lookup of a sub-attribute definition. */
export function findSubAttribute(
  attribute: AttributeDefinition,
  name: string,
): AttributeDefinition | undefined {
  const wanted = name.toLowerCase();
  return attribute.subAttributes?.find((sub) => sub.name.toLowerCase() === wanted);
}

/** Structural equality of JSON values; key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length
      && a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length
      && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}

/** Equality of simple values; strings ignore case unless `caseExact` (RFC 7643 §2.2). */
export function scalarEqual(a: unknown, b: unknown, caseExact: boolean): boolean {
  if (typeof a === 'string' && typeof b === 'string' && !caseExact) return a.toLowerCase() === b.toLowerCase();
  return deepEqual(a, b);
}

/** RFC 7643 §2.5: null, an empty array and an empty object all mean "unassigned". */
export function isUnassigned(value: unknown): boolean {
  return value === undefined || value === null
    || (Array.isArray(value) && value.length === 0)
    || (isPlainObject(value) && Object.keys(value).length === 0);
}

export function toArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}
