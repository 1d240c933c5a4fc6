/**
 * Type checking of normalized request bodies: a JSON Schema generated from the SCIM attribute
 * definitions, compiled with ajv, and ajv's errors turned into SCIM `invalidValue` errors.
 * The JSON Schema describes what a client may send after normalization, so readOnly attributes
 * (dropped beforehand) are not part of it.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { invalidValue, ScimError } from '../errors';
import type { AttributeResolver } from './resolver';
import type { AttributeDefinition, ScimObject } from './types';

export type JsonSchema = { [keyword: string]: unknown };

/** xsd:dateTime as RFC 7643 §2.3.5 requires, e.g. `2024-05-01T12:00:00Z` (zone optional). */
const DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

export function isDateTime(value: string): boolean {
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

const ajv = new Ajv({ allErrors: false, strict: true });
ajv.addFormat('date-time', { type: 'string', validate: isDateTime });

function valueSchema(definition: AttributeDefinition): JsonSchema {
  switch (definition.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer' };
    case 'decimal':
      return { type: 'number' };
    case 'dateTime':
      return { type: 'string', format: 'date-time' };
    case 'complex':
      return objectSchema(definition.subAttributes ?? []);
  }
}

function attributeSchema(definition: AttributeDefinition): JsonSchema {
  const single = valueSchema(definition);
  return definition.multiValued ? { type: 'array', items: single } : single;
}

function objectSchema(attributes: readonly AttributeDefinition[], extra: JsonSchema = {}): JsonSchema {
  const writable = attributes.filter((attribute) => attribute.mutability !== 'readOnly');
  return {
    type: 'object',
    properties: {
      ...Object.fromEntries(writable.map((attribute) => [attribute.name, attributeSchema(attribute)])),
      ...extra,
    },
    required: writable.filter((attribute) => attribute.required).map((attribute) => attribute.name),
    additionalProperties: false,
  };
}

/** The JSON Schema of a normalized POST/PUT body of the resolver's resource type. */
export function requestBodySchema(resolver: AttributeResolver): JsonSchema {
  const extensions = Object.fromEntries(
    resolver.extensions.map((extension) => [extension.id, objectSchema(extension.attributes)]),
  );
  const root = objectSchema(resolver.coreAttributes, {
    schemas: { type: 'array', items: { type: 'string' } },
    ...extensions,
  });
  const requiredExtensions = resolver.resourceType.schemaExtensions
    .filter((extension) => extension.required)
    .map((extension) => extension.schema);
  return { ...root, required: ['schemas', ...(root.required as string[]), ...requiredExtensions] };
}

/** Compiles the request body check; the returned function throws a ScimError on the first problem. */
export function compileBodyValidator(resolver: AttributeResolver): (body: ScimObject) => void {
  const validate: ValidateFunction = ajv.compile(requestBodySchema(resolver));
  return (body) => {
    if (validate(body)) return;
    const [first] = validate.errors ?? [];
    throw first ? toScimError(first) : invalidValue('The request body is not valid');
  };
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'a boolean',
  integer: 'an integer',
  number: 'a number',
  object: 'a complex value (JSON object)',
  array: 'multi-valued (a JSON array)',
};

/** Turns an ajv error into a SCIM error whose detail names the attribute the way a client wrote it. */
export function toScimError(error: ErrorObject): ScimError {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  if (error.keyword === 'required') segments.push(String(error.params['missingProperty']));
  const name = attributeName(segments);
  const element = /^\d+$/.test(segments[segments.length - 1] ?? '');
  const subject = element ? `Each value of attribute "${name}"` : `Attribute "${name}"`;
  switch (error.keyword) {
    case 'required':
      return invalidValue(`Attribute "${name}" is required`);
    case 'type': {
      const expected = String(error.params['type']);
      return invalidValue(`${subject} must be ${TYPE_NAMES[expected] ?? expected}`);
    }
    case 'format':
      return invalidValue(`${subject} must be a dateTime such as "2024-05-01T12:00:00Z"`);
    case 'additionalProperties':
      return invalidValue(`Unknown attribute "${attributeName([...segments, String(error.params['additionalProperty'])])}"`);
    default:
      return invalidValue(`${subject} is invalid: ${error.message ?? error.keyword}`);
  }
}

/** `["emails", "0", "value"]` → `emails.value`; `["urn:…:User", "manager", "value"]` → `urn:…:User:manager.value`. */
function attributeName(segments: readonly string[]): string {
  const names = segments.filter((segment) => !/^\d+$/.test(segment));
  const [first, ...rest] = names;
  if (first !== undefined && /^urn:/i.test(first) && rest.length > 0) return `${first}:${rest.join('.')}`;
  return names.join('.');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
