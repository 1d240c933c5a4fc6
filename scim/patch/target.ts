/**
 * What a PATCH operation points at: an attribute (core, common or extension), optionally a value
 * filter selecting elements of a multi-valued attribute, optionally a sub-attribute.
 */
import { invalidPath, mutability } from '../errors';
import type { Filter, PatchPath } from '../filter/ast';
import type { ResolvedAttribute, ResourceSchema } from '../schema';
import type { AttributeDefinition } from '../schema/types';
import { findSubAttribute } from './values';

export interface Target {
  /** Canonical URN of the schema the attribute belongs to. */
  readonly schemaUrn: string;
  /** True when the attribute lives under `resource[schemaUrn]` rather than at the top level. */
  readonly extension: boolean;
  readonly attribute: AttributeDefinition;
  /** `name.givenName`, `emails.value`, `emails[type eq "work"].value`. */
  readonly sub?: AttributeDefinition;
  /** `emails[type eq "work"]`: selects elements of a multi-valued complex attribute. */
  readonly filter?: Filter;
  /** How to name the target in error details: the path as written, or the canonical name. */
  readonly label: string;
}

/** Canonical name of the attribute (without the sub-attribute): `emails`, `urn:…:User:manager`. */
export function attributeName(target: Target): string {
  return target.extension ? `${target.schemaUrn}:${target.attribute.name}` : target.attribute.name;
}

/** Canonical name of the attribute or, when given, its sub-attribute. */
export function targetName(target: Target): string {
  const name = attributeName(target);
  return target.sub ? `${name}.${target.sub.name}` : name;
}

export function fromResolved(schema: ResourceSchema, resolved: ResolvedAttribute, label?: string): Target {
  const target = {
    schemaUrn: resolved.schema,
    extension: resolved.schema !== schema.coreSchema.id,
    attribute: resolved.attribute,
    ...(resolved.subAttribute ? { sub: resolved.subAttribute } : {}),
  };
  return { ...target, label: label ?? resolved.canonical };
}

/** Resolves a parsed PATCH path; unknown names and misplaced filters are 400 invalidPath. */
export function targetFromPath(schema: ResourceSchema, path: PatchPath, text: string): Target {
  const resolved = schema.resolve(path.path);
  if (!resolved) throw invalidPath(`Unknown attribute in path "${text}"`);
  if (!path.filter) {
    if (path.subAttribute !== undefined) throw invalidPath(`A sub-attribute follows no value filter in path "${text}"`);
    return fromResolved(schema, resolved, text);
  }

  const attribute = resolved.attribute;
  if (resolved.subAttribute || !attribute.multiValued || attribute.type !== 'complex') {
    throw invalidPath(`Path "${text}": a value filter applies only to a multi-valued complex attribute`);
  }
  checkFilter(path.filter, attribute, text);
  let sub: AttributeDefinition | undefined;
  if (path.subAttribute !== undefined) {
    sub = findSubAttribute(attribute, path.subAttribute);
    if (!sub) throw invalidPath(`Path "${text}": "${path.subAttribute}" is not a sub-attribute of "${attribute.name}"`);
  }
  return { ...fromResolved(schema, resolved, text), ...(sub ? { sub } : {}), filter: path.filter };
}

/** Every attribute named in a value filter must be a sub-attribute of the filtered attribute. */
function checkFilter(filter: Filter, attribute: AttributeDefinition, text: string): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      checkFilter(filter.left, attribute, text);
      checkFilter(filter.right, attribute, text);
      return;
    case 'not':
      checkFilter(filter.filter, attribute, text);
      return;
    case 'valuePath':
      throw invalidPath(`Path "${text}": value filters cannot be nested`);
    case 'compare':
    case 'present':
      if (filter.path.subAttribute !== undefined || !findSubAttribute(attribute, filter.path.attribute)) {
        throw invalidPath(`Path "${text}": "${filter.path.attribute}" is not a sub-attribute of "${attribute.name}"`);
      }
  }
}

/** An operation with an explicit path may not aim at a readOnly attribute or sub-attribute. */
export function checkNotReadOnly(target: Target): void {
  if (target.attribute.mutability === 'readOnly' || target.sub?.mutability === 'readOnly') {
    throw mutability(`Attribute "${targetName(target)}" is readOnly and cannot be modified (path "${target.label}")`);
  }
}
