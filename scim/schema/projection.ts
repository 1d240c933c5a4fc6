/**
 * Attribute projection of returned resources (RFC 7644 §3.4.2.5, §3.9) driven by the `returned`
 * characteristic (RFC 7643 §2.2): `always` attributes are always there, `never` ones never,
 * `default` ones unless left out by `attributes` or `excludedAttributes`, `request` ones only when
 * named in `attributes`. Unknown names in either list are ignored; attributes of the resource that
 * no schema defines are never returned.
 */
import { findAttribute } from './attribute';
import { isPlainObject } from './normalize';
import type { AttributeResolver } from './resolver';
import type { AttributeDefinition, ScimObject } from './types';

export interface ProjectionOptions {
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

/** Splits a comma-separated `attributes`/`excludedAttributes` query parameter. */
export function parseAttributeList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
}

/** Names from one list, resolved: whole attributes and extensions, and sub-attributes per attribute. */
interface Selection {
  readonly whole: Set<string>;
  readonly subs: Map<string, Set<string>>;
}

function selectionOf(resolver: AttributeResolver, names: readonly string[]): Selection {
  const selection: Selection = { whole: new Set(), subs: new Map() };
  for (const name of names) {
    const extension = resolver.extensionUrn(name.trim());
    if (extension !== undefined) {
      selection.whole.add(extension);
      continue;
    }
    const resolved = resolver.resolveName(name.trim());
    if (!resolved) continue;
    const key = canonicalKey(resolver, resolved.schema, resolved.attribute);
    if (!resolved.subAttribute) {
      selection.whole.add(key);
    } else {
      const subs = selection.subs.get(key) ?? new Set<string>();
      subs.add(resolved.subAttribute.name);
      selection.subs.set(key, subs);
    }
  }
  return selection;
}

function canonicalKey(resolver: AttributeResolver, schema: string, attribute: AttributeDefinition): string {
  return schema === resolver.core.id ? attribute.name : `${schema}:${attribute.name}`;
}

class Projector {
  private readonly requested?: Selection;
  private readonly excluded?: Selection;

  constructor(
    private readonly resolver: AttributeResolver,
    options: ProjectionOptions,
  ) {
    if (options.attributes?.length) this.requested = selectionOf(resolver, options.attributes);
    if (options.excludedAttributes?.length) this.excluded = selectionOf(resolver, options.excludedAttributes);
  }

  project(resource: ScimObject): ScimObject {
    const core: ScimObject = {};
    const extensions = new Map<string, ScimObject>();
    for (const [key, value] of Object.entries(resource)) {
      const extension = this.resolver.extensionUrn(key);
      if (extension !== undefined) {
        if (!isPlainObject(value)) continue;
        const attributes = this.resolver.attributesOf(extension);
        const projected = this.projectObject(extension, attributes, value);
        if (Object.keys(projected).length > 0) extensions.set(extension, projected);
      } else {
        this.projectAttribute(core, this.resolver.core.id, this.resolver.coreAttributes, key, value);
      }
    }
    const present = this.resolver.extensions.map((extension) => extension.id).filter((urn) => extensions.has(urn));
    return {
      schemas: [this.resolver.core.id, ...present],
      ...core,
      ...Object.fromEntries(present.map((urn) => [urn, extensions.get(urn)])),
    };
  }

  private projectObject(schema: string, attributes: readonly AttributeDefinition[], input: ScimObject): ScimObject {
    const output: ScimObject = {};
    for (const [key, value] of Object.entries(input)) this.projectAttribute(output, schema, attributes, key, value);
    return output;
  }

  private projectAttribute(
    output: ScimObject,
    schema: string,
    attributes: readonly AttributeDefinition[],
    key: string,
    value: unknown,
  ): void {
    const attribute = findAttribute(attributes, key);
    if (!attribute || !this.includes(schema, attribute)) return;
    const name = canonicalKey(this.resolver, schema, attribute);
    const projected = attribute.type === 'complex' && attribute.returned !== 'always'
      ? this.projectComplex(schema, name, attribute, value)
      : dropNeverSubAttributes(attribute, value);
    if (projected !== undefined) output[attribute.name] = projected;
  }

  private includes(schema: string, attribute: AttributeDefinition): boolean {
    if (attribute.returned === 'never') return false;
    if (attribute.returned === 'always') return true;
    const name = canonicalKey(this.resolver, schema, attribute);
    if (this.excluded?.whole.has(name) || this.excluded?.whole.has(schema)) return false;
    if (!this.requested) return attribute.returned === 'default';
    return this.requested.whole.has(name) || this.requested.whole.has(schema) || this.requested.subs.has(name);
  }

  /** Projects the sub-attributes of a complex value; undefined when nothing is left. */
  private projectComplex(schema: string, name: string, attribute: AttributeDefinition, value: unknown): unknown {
    const requestedWhole = this.requested?.whole.has(name) || this.requested?.whole.has(schema);
    const requestedSubs = requestedWhole ? undefined : this.requested?.subs.get(name);
    const excludedSubs = this.excluded?.subs.get(name);
    const keep = (sub: AttributeDefinition): boolean => {
      if (sub.returned === 'never') return false;
      if (sub.returned === 'always') return true;
      if (excludedSubs?.has(sub.name)) return false;
      if (requestedSubs) return requestedSubs.has(sub.name);
      return requestedWhole === true || sub.returned === 'default';
    };
    const projectOne = (item: unknown): unknown => {
      if (!isPlainObject(item)) return item;
      const output: ScimObject = {};
      for (const [key, subValue] of Object.entries(item)) {
        const sub = findAttribute(attribute.subAttributes, key);
        if (sub && keep(sub)) output[sub.name] = subValue;
      }
      return Object.keys(output).length > 0 ? output : undefined;
    };
    if (!Array.isArray(value)) return projectOne(value);
    const items = value.map(projectOne).filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
}

/** Sub-attributes returned `never` stay hidden even inside attributes returned `always`. */
function dropNeverSubAttributes(attribute: AttributeDefinition, value: unknown): unknown {
  const hidden = new Set(
    (attribute.subAttributes ?? []).filter((sub) => sub.returned === 'never').map((sub) => sub.name.toLowerCase()),
  );
  if (hidden.size === 0) return value;
  const strip = (item: unknown): unknown => isPlainObject(item)
    ? Object.fromEntries(Object.entries(item).filter(([key]) => !hidden.has(key.toLowerCase())))
    : item;
  return Array.isArray(value) ? value.map(strip) : strip(value);
}

export function projectResource(
  resolver: AttributeResolver,
  resource: ScimObject,
  options: ProjectionOptions,
): ScimObject {
  return new Projector(resolver, options).project(resource);
}
