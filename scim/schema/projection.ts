/**
 * Attribute projection of returned resources (RFC 7644 §3.4.2.5, §3.9) driven by the `returned`
 * characteristic (RFC 7643 §2.2): `always` attributes are always there, `never` ones never,
 * `default` ones unless left out by `attributes` or `excludedAttributes`, `request` ones only when
 * named in `attributes`. Unknown names in either list are ignored; attributes of the resource that
 * no schema defines are never returned.
 *
 * A response builds one `Projector` and passes every resource through it: the names are resolved
 * once, so projecting a page costs the same whatever the lists hold. The lists are bounded and
 * de-duplicated before anything else reads them (see MAX_ATTRIBUTE_NAMES).
 */
import { invalidValue } from '../errors';
import { findAttribute } from './attribute';
import { isPlainObject } from './normalize';
import type { ResourceSchema } from './resource-schema';
import { AttributeResolver } from './resolver';
import type { AttributeDefinition, ScimObject } from './types';

export interface ProjectionOptions {
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

/**
 * The most distinct names one `attributes` or `excludedAttributes` list may carry. RFC 7644 §3.4.2.5
 * sets no bound; without one a request of tens of thousands of names held the event loop. The User
 * resource type, the largest, defines 75 attribute and sub-attribute names (core, enterprise
 * extension, common attributes); written also in their URN-qualified form, with the schema URNs
 * themselves, every spelling of every name is 161. 256 leaves room for names of extensions scimd
 * does not serve (ignored, as §3.4.2.5 asks) and refuses only lists no client needs.
 */
export const MAX_ATTRIBUTE_NAMES = 256;

/**
 * Splits a comma-separated `attributes`/`excludedAttributes` query parameter into its distinct names
 * (see `distinctAttributeNames`). `parameter` names the list in the error.
 */
export function parseAttributeList(value: string | undefined, parameter = 'attributes'): string[] {
  if (value === undefined) return [];
  return distinctAttributeNames(value.split(','), parameter);
}

/**
 * Trimmed, non-empty names, each once: attribute names and schema URNs are case-insensitive
 * (RFC 7643 §2.1, RFC 7644 §3.10), so `userName` and `USERNAME` are one name and the first spelling
 * is kept. Counting stops at the first name beyond MAX_ATTRIBUTE_NAMES: RFC 7644 §3.12 reserves
 * `tooMany` for a filter that yields too many results, so a list longer than the bound is an
 * `invalidValue`.
 */
export function distinctAttributeNames(names: Iterable<string>, parameter: string): string[] {
  const seen = new Set<string>();
  const distinct: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    const key = name.toLowerCase();
    if (name === '' || seen.has(key)) continue;
    if (distinct.length === MAX_ATTRIBUTE_NAMES) {
      throw invalidValue(`"${parameter}" may name at most ${MAX_ATTRIBUTE_NAMES} distinct attributes`);
    }
    seen.add(key);
    distinct.push(name);
  }
  return distinct;
}

/** Names from one list, resolved: whole attributes and extensions, and sub-attributes per attribute. */
interface Selection {
  readonly whole: Set<string>;
  readonly subs: Map<string, Set<string>>;
}

function selectionOf(resolver: AttributeResolver, names: readonly string[]): Selection {
  const selection: Selection = { whole: new Set(), subs: new Map() };
  for (const name of names) {
    const extension = resolver.extensionUrn(name);
    if (extension !== undefined) {
      selection.whole.add(extension);
      continue;
    }
    const resolved = resolver.resolveName(name);
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

/** `attributes` and `excludedAttributes` resolved once, applied to any number of resources. */
export class Projector {
  private readonly requested?: Selection;
  private readonly excluded?: Selection;

  /** Reads each list once; throws a 400 invalidValue for a list beyond MAX_ATTRIBUTE_NAMES. */
  constructor(
    private readonly resolver: AttributeResolver,
    options: ProjectionOptions,
  ) {
    const attributes = distinctAttributeNames(options.attributes ?? [], 'attributes');
    const excluded = distinctAttributeNames(options.excludedAttributes ?? [], 'excludedAttributes');
    if (attributes.length > 0) this.requested = selectionOf(resolver, attributes);
    if (excluded.length > 0) this.excluded = selectionOf(resolver, excluded);
  }

  /**
   * Whether a core attribute (named without schema URN) can appear in projected resources, so a
   * caller can skip loading what would be dropped, e.g. a Group's members.
   */
  returns(coreAttributeName: string): boolean {
    const attribute = findAttribute(this.resolver.coreAttributes, coreAttributeName);
    return attribute !== undefined && this.includes(this.resolver.core.id, attribute);
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

/** The lower-cased names of each attribute's sub-attributes returned `never`, worked out once per definition. */
const neverReturned = new WeakMap<AttributeDefinition, ReadonlySet<string>>();

function hiddenSubAttributes(attribute: AttributeDefinition): ReadonlySet<string> {
  let hidden = neverReturned.get(attribute);
  if (!hidden) {
    hidden = new Set(
      (attribute.subAttributes ?? []).filter((sub) => sub.returned === 'never').map((sub) => sub.name.toLowerCase()),
    );
    neverReturned.set(attribute, hidden);
  }
  return hidden;
}

/** Sub-attributes returned `never` stay hidden even inside attributes returned `always`. */
function dropNeverSubAttributes(attribute: AttributeDefinition, value: unknown): unknown {
  const hidden = hiddenSubAttributes(attribute);
  if (hidden.size === 0) return value;
  const strip = (item: unknown): unknown => isPlainObject(item)
    ? Object.fromEntries(Object.entries(item).filter(([key]) => !hidden.has(key.toLowerCase())))
    : item;
  return Array.isArray(value) ? value.map(strip) : strip(value);
}

/** Projects one resource (ResourceSchema.project); a response of many uses one `projectorFor`. */
export function projectResource(
  resolver: AttributeResolver,
  resource: ScimObject,
  options: ProjectionOptions,
): ScimObject {
  return new Projector(resolver, options).project(resource);
}

/**
 * A resolver per resource schema, built from the schemas it exposes (ResourceSchema keeps its own
 * private), and how many projectors each has had built.
 */
const perSchema = new WeakMap<ResourceSchema, { readonly resolver: AttributeResolver; built: number }>();

/**
 * The projector of one response: `attributes`/`excludedAttributes` resolved once, then applied with
 * the `returned` characteristics to each resource. Throws a 400 invalidValue for a list longer than
 * MAX_ATTRIBUTE_NAMES.
 */
export function projectorFor(schema: ResourceSchema, options: ProjectionOptions = {}): Projector {
  let entry = perSchema.get(schema);
  if (!entry) {
    entry = { resolver: new AttributeResolver(schema.resourceType, [schema.coreSchema, ...schema.extensionSchemas]), built: 0 };
    perSchema.set(schema, entry);
  }
  entry.built += 1;
  return new Projector(entry.resolver, options);
}

/**
 * How many projectors `projectorFor` has built for a resource schema since the process started: one
 * per response that projects, whatever the number of resources in it. A diagnostic, read by the
 * tests that hold the endpoints to that.
 */
export function projectorsBuilt(schema: ResourceSchema): number {
  return perSchema.get(schema)?.built ?? 0;
}
