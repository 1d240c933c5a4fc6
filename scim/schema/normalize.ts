/**
 * Normalization of POST/PUT request bodies (RFC 7644 §3.3, §3.5.1): attribute names are rewritten to
 * their canonical case (RFC 7643 §2.1), unknown names and schemas are rejected, readOnly values and
 * unassigned values (null, empty arrays, empty objects; RFC 7643 §2.5) are dropped, and boolean
 * strings are coerced. The input is never mutated; type checks are left to the JSON Schema validator.
 */
import { invalidSyntax, invalidValue } from '../errors';
import { findAttribute } from './attribute';
import { type AttributeResolver, sameUrn } from './resolver';
import type { AttributeDefinition, ScimObject } from './types';

export function isPlainObject(value: unknown): value is ScimObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Normalizes a body; the result still has to pass the JSON Schema check. */
export function normalizeBody(resolver: AttributeResolver, input: unknown): ScimObject {
  if (!isPlainObject(input)) throw invalidSyntax('The request body must be a JSON object');
  const typeName = resolver.resourceType.name;
  checkSchemas(resolver, input);
  const core: ScimObject = {};
  const extensions = new Map<string, ScimObject>();
  const seen = new Set<string>();

  for (const [key, value] of Object.entries(input)) {
    if (key.toLowerCase() === 'schemas') continue;
    const extensionUrn = resolver.extensionUrn(key);
    const attribute = extensionUrn === undefined ? findAttribute(resolver.coreAttributes, key) : undefined;
    const canonical = extensionUrn ?? attribute?.name;
    if (canonical === undefined) {
      throw invalidSyntax(`Unknown attribute "${key}" for resource type ${typeName}`);
    }
    if (seen.has(canonical)) throw invalidSyntax(`Attribute "${canonical}" is given more than once`);
    seen.add(canonical);

    if (extensionUrn !== undefined) {
      if (value === null) continue;
      if (!isPlainObject(value)) throw invalidValue(`Extension "${extensionUrn}" must be a JSON object`);
      const attributes = resolver.extensions.find((extension) => extension.id === extensionUrn)?.attributes ?? [];
      const normalized = normalizeObject(attributes, value, `${extensionUrn}:`, typeName);
      if (Object.keys(normalized).length > 0) extensions.set(extensionUrn, normalized);
    } else if (attribute) {
      setAttribute(core, attribute, value, '', typeName);
    }
  }

  // Extensions with values are declared whether listed or not; listed but empty ones are left out.
  const present = resolver.extensions.map((extension) => extension.id).filter((urn) => extensions.has(urn));
  return {
    schemas: [resolver.core.id, ...present],
    ...core,
    ...Object.fromEntries(present.map((urn) => [urn, extensions.get(urn)])),
  };
}

/** Checks that `schemas` lists the core schema and otherwise only extensions of the resource type. */
/**
 * Schema URNs real clients list that carry no attributes of their own: accepted and dropped.
 * Microsoft Entra ID lists its ADSCIM Group URN on group creation
 * (test/e2e/fixtures/entra-id/create-group-extra-schema-urn.json).
 */
const IGNORED_CLIENT_SCHEMAS = new Set([
  'http://schemas.microsoft.com/2006/11/resourcemanagement/adscim/2.0/group',
  'http://schemas.microsoft.com/2006/11/resourcemanagement/adscim/2.0/user',
]);

/**
 * Multi-valued attributes addressed by `type` (`emails[type eq "work"]`): two values of one type
 * would make such a path ambiguous, so the type is unique per resource, as Microsoft Entra ID
 * requires (test/e2e/fixtures/entra-id/reject-two-values-of-one-type.json). RFC 7643 §2.4 leaves this open.
 */
const TYPE_UNIQUE_ATTRIBUTES = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses']);

function assertUniqueTypes(attribute: AttributeDefinition, values: readonly unknown[], prefix: string): void {
  if (prefix !== '' || !TYPE_UNIQUE_ATTRIBUTES.has(attribute.name)) return;
  const seen = new Set<string>();
  for (const item of values) {
    const type = isPlainObject(item) && typeof item.type === 'string' ? item.type.toLowerCase() : undefined;
    if (type === undefined) continue;
    if (seen.has(type)) {
      throw invalidValue(`"${attribute.name}" has more than one value of type "${type}"; each type may appear once`);
    }
    seen.add(type);
  }
}

function checkSchemas(resolver: AttributeResolver, input: ScimObject): void {
  const keys = Object.keys(input).filter((key) => key.toLowerCase() === 'schemas');
  if (keys.length > 1) throw invalidSyntax('Attribute "schemas" is given more than once');
  const value = keys[0] === undefined ? undefined : input[keys[0]];
  if (!Array.isArray(value) || !value.every((urn): urn is string => typeof urn === 'string')) {
    throw invalidSyntax(`The "schemas" attribute must be an array of schema URNs including "${resolver.core.id}"`);
  }
  if (!value.some((urn) => sameUrn(urn, resolver.core.id))) {
    throw invalidSyntax(`The "schemas" attribute must include "${resolver.core.id}"`);
  }
  const unknown = value.find((urn) => resolver.schemaUrn(urn) === undefined && !IGNORED_CLIENT_SCHEMAS.has(urn.toLowerCase()));
  if (unknown !== undefined) {
    throw invalidSyntax(`Schema "${unknown}" is not supported for resource type ${resolver.resourceType.name}`);
  }
}

/** Normalizes the keys of a complex value (or of an extension object) against `attributes`. */
function normalizeObject(
  attributes: readonly AttributeDefinition[],
  input: ScimObject,
  prefix: string,
  typeName: string,
): ScimObject {
  const output: ScimObject = {};
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(input)) {
    const attribute = findAttribute(attributes, key);
    if (!attribute) throw invalidSyntax(`Unknown attribute "${prefix}${key}" for resource type ${typeName}`);
    if (seen.has(attribute.name)) throw invalidSyntax(`Attribute "${prefix}${attribute.name}" is given more than once`);
    seen.add(attribute.name);
    setAttribute(output, attribute, value, prefix, typeName);
  }
  return output;
}

/** Stores the normalized value of one attribute in `output`, unless it is readOnly or unassigned. */
function setAttribute(
  output: ScimObject,
  attribute: AttributeDefinition,
  value: unknown,
  prefix: string,
  typeName: string,
): void {
  if (attribute.mutability === 'readOnly' || value === null) return;
  // An empty complex value is unassigned, unless it lacks a required sub-attribute: then the
  // validator reports the missing sub-attribute instead of the value silently disappearing.
  const droppable = (item: unknown): boolean =>
    isEmptyObject(item) && !(attribute.subAttributes ?? []).some((sub) => sub.required);
  const normalized = attribute.multiValued && Array.isArray(value)
    ? value.map((item) => normalizeValue(attribute, item, prefix, typeName)).filter((item) => !droppable(item))
    : normalizeValue(attribute, value, prefix, typeName);
  if (droppable(normalized) || (Array.isArray(normalized) && normalized.length === 0)) return;
  if (Array.isArray(normalized)) assertUniqueTypes(attribute, normalized, prefix);
  output[attribute.name] = normalized;
}

function normalizeValue(attribute: AttributeDefinition, value: unknown, prefix: string, typeName: string): unknown {
  if (attribute.type === 'complex' && isPlainObject(value)) {
    return normalizeObject(attribute.subAttributes ?? [], value, `${prefix}${attribute.name}.`, typeName);
  }
  if (attribute.type === 'boolean' && typeof value === 'string') {
    // Some identity providers (Microsoft Entra ID among them) send booleans as "True"/"False".
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return value;
}

function isEmptyObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 0;
}
