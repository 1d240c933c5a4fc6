/**
 * Checking and canonicalising the values given in PATCH operations against attribute definitions:
 * canonical sub-attribute names, booleans sent as strings, plain strings for `manager`.
 */
import { invalidSyntax, invalidValue } from '../errors';
import type { AttributeDefinition, ScimObject } from '../schema/types';
import { findSubAttribute, isPlainObject } from './values';

/** A simple (non-complex) value, type-checked; `"True"`/`"False"` become booleans. */
export function coerceSimple(definition: AttributeDefinition, value: unknown, label: string): unknown {
  switch (definition.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      // Microsoft Entra ID sends booleans as strings: "active": "False".
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw invalidValue(`Attribute "${label}" must be a boolean, got ${JSON.stringify(value)}`);
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      throw invalidValue(`Attribute "${label}" must be an integer, got ${JSON.stringify(value)}`);
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw invalidValue(`Attribute "${label}" must be a number, got ${JSON.stringify(value)}`);
    case 'complex':
      throw invalidValue(`Attribute "${label}" is complex; a simple value cannot be given for it`);
    default:
      if (typeof value === 'string') return value;
      throw invalidValue(`Attribute "${label}" must be a string, got ${JSON.stringify(value)}`);
  }
}

/**
 * A complex value with canonical sub-attribute names. readOnly sub-attributes (filled in by the
 * service provider, such as `members.display`) are dropped; `null` sub-attribute values are kept
 * as null, meaning "unassign" when merged. A plain string given for a single-valued complex
 * attribute with a `value` sub-attribute is taken as that `value`: Microsoft Entra ID sends the
 * enterprise `manager` as the manager's id alone.
 */
export function coerceComplex(definition: AttributeDefinition, value: unknown, label: string): ScimObject {
  const valueSub = findSubAttribute(definition, 'value');
  if (typeof value === 'string' && !definition.multiValued && valueSub) {
    return { [valueSub.name]: coerceSimple(valueSub, value, `${label}.${valueSub.name}`) };
  }
  if (!isPlainObject(value)) {
    throw invalidValue(`Attribute "${label}" is complex; its value must be a JSON object, got ${JSON.stringify(value)}`);
  }
  const output: ScimObject = {};
  for (const [key, item] of Object.entries(value)) {
    const sub = findSubAttribute(definition, key);
    if (!sub) throw invalidSyntax(`Unknown attribute "${label}.${key}"`);
    if (sub.mutability === 'readOnly') continue;
    output[sub.name] = item === null ? null : coerceSimple(sub, item, `${label}.${sub.name}`);
  }
  return output;
}

/** One element of a multi-valued attribute; null sub-attributes are left out. */
export function coerceElement(definition: AttributeDefinition, value: unknown, label: string): unknown {
  if (definition.type !== 'complex') return coerceSimple(definition, value, label);
  const element = coerceComplex(definition, value, label);
  return Object.fromEntries(Object.entries(element).filter(([, item]) => item !== null));
}
