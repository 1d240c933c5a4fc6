/**
 * Small builders for attribute definitions, so the schema files state only what differs from the
 * RFC 7643 §2.2 defaults (single-valued, optional, case-insensitive, readWrite, returned by default,
 * no uniqueness).
 */
import type { AttributeDefinition, AttributeType } from './types';

export type AttributeOptions = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>;

export function attribute(
  name: string,
  type: AttributeType,
  description: string,
  options: AttributeOptions = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    // RFC 7643 §2.3.6/§2.3.7: binary values and references compare case-exactly.
    caseExact: type === 'reference' || type === 'binary',
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

/** A complex attribute; `subAttributes` are listed in the order they appear in the /Schemas output. */
export function complex(
  name: string,
  description: string,
  subAttributes: readonly AttributeDefinition[],
  options: AttributeOptions = {},
): AttributeDefinition {
  return attribute(name, 'complex', description, { ...options, subAttributes });
}

/**
 * The sub-attributes shared by the multi-valued complex attributes of RFC 7643 §2.4
 * (`value`, `display`, `type`, `primary`); `valueType` and `typeValues` vary per attribute.
 */
export function multiValuedSubAttributes(
  what: string,
  options: { valueType?: AttributeType; valueReferenceTypes?: readonly string[]; typeValues?: readonly string[] } = {},
): AttributeDefinition[] {
  const valueType = options.valueType ?? 'string';
  return [
    attribute('value', valueType, `The ${what} itself.`, {
      ...(options.valueReferenceTypes ? { referenceTypes: options.valueReferenceTypes } : {}),
    }),
    attribute('display', 'string', `A human-readable label for the ${what}, used for display only.`),
    attribute('type', 'string', `What kind of ${what} this is.`, {
      ...(options.typeValues ? { canonicalValues: options.typeValues } : {}),
    }),
    attribute('primary', 'boolean', `Whether this is the preferred ${what}; at most one value may be primary.`),
  ];
}

/**
 * Each attribute list's definitions by lower-cased name, built on the first lookup. Schemas are
 * fixed at start-up, and every resource a response projects looks up each of its attributes: a
 * scan lower-casing every candidate's name was a visible part of presenting a page of users.
 */
const indexes = new WeakMap<readonly AttributeDefinition[], ReadonlyMap<string, AttributeDefinition>>();

function indexOf(attributes: readonly AttributeDefinition[]): ReadonlyMap<string, AttributeDefinition> {
  let index = indexes.get(attributes);
  if (!index) {
    const byName = new Map<string, AttributeDefinition>();
    // The first definition of a name wins, as a scan in order would find it.
    for (const candidate of attributes) {
      const key = candidate.name.toLowerCase();
      if (byName.has(key)) continue;
      byName.set(key, candidate);
      byName.set(candidate.name, candidate);
    }
    index = byName;
    indexes.set(attributes, index);
  }
  return index;
}

/** Case-insensitive lookup of an attribute by name (RFC 7643 §2.1). */
export function findAttribute(
  attributes: readonly AttributeDefinition[] | undefined,
  name: string,
): AttributeDefinition | undefined {
  if (!attributes) return undefined;
  // The definition's own spelling is the common case (the index holds it beside the lower-cased
  // key), so most lookups need no lower-casing.
  const index = indexOf(attributes);
  return index.get(name) ?? index.get(name.toLowerCase());
}
