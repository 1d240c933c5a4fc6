import type { Condition } from '../../src/identity/query';
import { invalidFilter } from '../errors';
import type { AttributePath, Filter } from '../filter/ast';
import { ENTERPRISE_USER_SCHEMA_URN, ROLE_EXTENSION_URN, type ResourceSchema } from '../schema';

/**
 * SCIM filter AST → the identity layer's Condition. Attribute names are resolved against the
 * resource's schemas (case-insensitive, URN-qualified or not) and renamed to the domain's fields:
 * `urn:…:enterprise:2.0:User:department` → `enterprise.department`.
 */
const EXTENSION_PREFIXES: readonly [string, string][] = [
  [`${ENTERPRISE_USER_SCHEMA_URN}:`, 'enterprise.'],
  [`${ROLE_EXTENSION_URN}:`, 'role.'],
];

export function toCondition(filter: Filter, schema: ResourceSchema): Condition {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { kind: filter.kind, left: toCondition(filter.left, schema), right: toCondition(filter.right, schema) };
    case 'not':
      return { kind: 'not', condition: toCondition(filter.filter, schema) };
    case 'present':
      return { kind: 'present', field: fieldOf(filter.path, schema) };
    case 'compare':
      return { kind: 'compare', field: fieldOf(filter.path, schema), op: filter.op, value: filter.value };
    case 'valuePath': {
      const outer = fieldOf(filter.path, schema);
      if (filter.path.subAttribute !== undefined) {
        throw invalidFilter(`A value filter applies to a multi-valued attribute, not to "${outer}"`);
      }
      return { kind: 'any', field: outer, where: relative(filter.filter, filter.path, schema) };
    }
  }
}

/** The inner filter of `emails[type eq "work"]`, its paths resolved as sub-attributes of `emails`. */
function relative(filter: Filter, outer: AttributePath, schema: ResourceSchema): Condition {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { kind: filter.kind, left: relative(filter.left, outer, schema), right: relative(filter.right, outer, schema) };
    case 'not':
      return { kind: 'not', condition: relative(filter.filter, outer, schema) };
    case 'valuePath':
      throw invalidFilter('A value filter cannot contain another value filter');
    case 'present':
    case 'compare': {
      if (filter.path.uri !== undefined || filter.path.subAttribute !== undefined) {
        throw invalidFilter(`Inside [${outer.attribute}…] name sub-attributes of "${outer.attribute}" only`);
      }
      const resolved = schema.resolve({ ...outer, subAttribute: filter.path.attribute });
      if (!resolved?.subAttribute) {
        throw invalidFilter(`"${filter.path.attribute}" is not a sub-attribute of "${outer.attribute}"`);
      }
      const field = resolved.subAttribute.name;
      return filter.kind === 'present'
        ? { kind: 'present', field }
        : { kind: 'compare', field, op: filter.op, value: filter.value };
    }
  }
}

function fieldOf(path: AttributePath, schema: ResourceSchema): string {
  const resolved = schema.resolve(path);
  if (!resolved) throw invalidFilter(`Unknown attribute "${written(path)}" in filter`);
  return domainField(resolved.canonical);
}

export function domainField(canonical: string): string {
  for (const [prefix, replacement] of EXTENSION_PREFIXES) {
    if (canonical.toLowerCase().startsWith(prefix.toLowerCase())) return replacement + canonical.slice(prefix.length);
  }
  return canonical;
}

function written(path: AttributePath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''}`;
}
