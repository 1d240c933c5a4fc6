/**
 * Attribute resolution for one resource type: finds the definition behind a name written by a client
 * (any case, with or without a schema URN, with or without a sub-attribute) and gives its canonical
 * spelling.
 */
import type { AttributePath } from '../filter/ast';
import { findAttribute } from './attribute';
import { COMMON_ATTRIBUTES } from './common';
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from './types';

export interface ResolvedAttribute {
  /** Canonical URN of the schema the attribute belongs to (the core URN for common attributes). */
  readonly schema: string;
  readonly attribute: AttributeDefinition;
  readonly subAttribute?: AttributeDefinition;
  /**
   * Canonical name: `name.familyName` for core and common attributes,
   * `urn:...:User:manager.value` for extension attributes.
   */
  readonly canonical: string;
}

export class AttributeResolver {
  readonly core: SchemaDefinition;
  readonly extensions: readonly SchemaDefinition[];
  /** Core schema attributes followed by the common attributes (`id`, `externalId`, `meta`). */
  readonly coreAttributes: readonly AttributeDefinition[];

  constructor(
    readonly resourceType: ResourceTypeDefinition,
    schemas: readonly SchemaDefinition[],
  ) {
    const byUrn = (urn: string): SchemaDefinition => {
      const found = schemas.find((schema) => sameUrn(schema.id, urn));
      if (!found) throw new Error(`Schema ${urn} of resource type ${resourceType.id} is not defined`);
      return found;
    };
    this.core = byUrn(resourceType.schema);
    this.extensions = resourceType.schemaExtensions.map((extension) => byUrn(extension.schema));
    this.coreAttributes = [...this.core.attributes, ...COMMON_ATTRIBUTES];
  }

  /** The canonical URN of the core schema or of an extension, matched case-insensitively. */
  schemaUrn(urn: string): string | undefined {
    if (sameUrn(urn, this.core.id)) return this.core.id;
    return this.extensionUrn(urn);
  }

  /** The canonical URN of an extension of this resource type, matched case-insensitively. */
  extensionUrn(urn: string): string | undefined {
    // Every schema URN has a colon; an attribute name (asked about for each key of every resource) has none.
    if (this.extensions.length === 0 || !urn.includes(':')) return undefined;
    return this.extensions.find((extension) => sameUrn(extension.id, urn))?.id;
  }

  /** Attributes addressable under a (canonical) schema URN. */
  attributesOf(urn: string): readonly AttributeDefinition[] {
    if (urn === this.core.id) return this.coreAttributes;
    return this.extensions.find((extension) => extension.id === urn)?.attributes ?? [];
  }

  resolve(path: AttributePath): ResolvedAttribute | undefined {
    if (path.uri === undefined && /^urn:/i.test(path.attribute)) {
      const qualified = this.splitQualifiedName(path.attribute);
      if (!qualified || (qualified.subAttribute !== undefined && path.subAttribute !== undefined)) return undefined;
      return this.resolve({ ...qualified, subAttribute: qualified.subAttribute ?? path.subAttribute });
    }
    const schema = path.uri === undefined ? this.core.id : this.schemaUrn(path.uri);
    if (schema === undefined) return undefined;
    const attribute = findAttribute(this.attributesOf(schema), path.attribute);
    if (!attribute) return undefined;
    if (path.subAttribute === undefined) {
      return { schema, attribute, canonical: canonicalName(this.core.id, schema, attribute) };
    }
    const subAttribute = findAttribute(attribute.subAttributes, path.subAttribute);
    if (!subAttribute) return undefined;
    return { schema, attribute, subAttribute, canonical: canonicalName(this.core.id, schema, attribute, subAttribute) };
  }

  /**
   * Resolves a name as written in `attributes`/`excludedAttributes` or a JSON key:
   * `userName`, `name.familyName`, `urn:...:User:manager.value`.
   */
  resolveName(name: string): ResolvedAttribute | undefined {
    if (/^urn:/i.test(name)) return this.resolve({ attribute: name });
    return this.resolve(splitDotted(name));
  }

  /**
   * Splits a URN-qualified attribute name at the end of the longest known schema URN it starts with;
   * undefined when it starts with none. The rest may carry a `.subAttribute`.
   */
  splitQualifiedName(name: string): AttributePath | undefined {
    const lower = name.toLowerCase();
    const urn = [this.core.id, ...this.extensions.map((extension) => extension.id)]
      .filter((candidate) => lower.startsWith(`${candidate.toLowerCase()}:`))
      .sort((a, b) => b.length - a.length)[0];
    if (urn === undefined) return undefined;
    return { uri: urn, ...splitDotted(name.slice(urn.length + 1)) };
  }
}

export function sameUrn(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function splitDotted(name: string): AttributePath {
  const dot = name.indexOf('.');
  if (dot < 0) return { attribute: name };
  return { attribute: name.slice(0, dot), subAttribute: name.slice(dot + 1) };
}

function canonicalName(
  coreUrn: string,
  schema: string,
  attribute: AttributeDefinition,
  subAttribute?: AttributeDefinition,
): string {
  const local = subAttribute ? `${attribute.name}.${subAttribute.name}` : attribute.name;
  return schema === coreUrn ? local : `${schema}:${local}`;
}
