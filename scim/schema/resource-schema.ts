/**
 * Everything the SCIM routes need to know about the schemas of one resource type: attribute
 * resolution (filters, PATCH paths, attribute lists), request body normalization and response
 * projection.
 */
import type { AttributePath } from '../filter/ast';
import { compileBodyValidator } from './json-schema';
import { normalizeBody } from './normalize';
import { projectResource, type ProjectionOptions } from './projection';
import { AttributeResolver, type ResolvedAttribute } from './resolver';
import type { ResourceTypeDefinition, SchemaDefinition, ScimObject } from './types';

export interface NormalizeOptions {
  /**
   * POST (`create`) or PUT (`replace`). Both need a complete resource and are normalized alike;
   * checking immutable attributes against the stored resource on replace is left to the caller.
   */
  readonly mode: 'create' | 'replace';
}

export class ResourceSchema {
  private readonly resolver: AttributeResolver;
  private readonly validateBody: (body: ScimObject) => void;

  constructor(
    readonly resourceType: ResourceTypeDefinition,
    schemas: readonly SchemaDefinition[],
  ) {
    this.resolver = new AttributeResolver(resourceType, schemas);
    this.validateBody = compileBodyValidator(this.resolver);
  }

  /** The core schema of the resource type. */
  get coreSchema(): SchemaDefinition {
    return this.resolver.core;
  }

  /** Extension schemas, in the order the resource type declares them. */
  get extensionSchemas(): readonly SchemaDefinition[] {
    return this.resolver.extensions;
  }

  /**
   * Finds the definition behind an attribute path, case-insensitively. Without `uri` the core schema
   * and the common attributes are searched, and a fully qualified `attribute` (`urn:…:department`)
   * is split at its schema URN. Undefined when nothing matches.
   */
  resolve(path: AttributePath): ResolvedAttribute | undefined {
    return this.resolver.resolve(path);
  }

  /** Like `resolve`, for a name written as one string: `name.familyName`, `urn:…:User:manager.value`. */
  resolveName(name: string): ResolvedAttribute | undefined {
    return this.resolver.resolveName(name);
  }

  /**
   * Whether string comparisons on the path are case-sensitive. A complex attribute named without a
   * sub-attribute uses its `value` sub-attribute; unknown paths compare case-insensitively.
   */
  caseExact(path: AttributePath): boolean {
    const resolved = this.resolver.resolve(path);
    if (!resolved) return false;
    const target = resolved.subAttribute
      ?? (resolved.attribute.type === 'complex'
        ? resolved.attribute.subAttributes?.find((sub) => sub.name === 'value')
        : resolved.attribute);
    return target?.caseExact ?? false;
  }

  /**
   * Validates and normalizes a POST/PUT body: canonical attribute names, extension attributes under
   * their (canonical) URN, readOnly and null values dropped, `"True"`/`"False"` coerced to booleans.
   * Throws a 400 ScimError (`invalidSyntax` for structure and unknown names, `invalidValue` for
   * types and missing required attributes). The input is not mutated.
   */
  normalize(input: unknown, _options: NormalizeOptions): ScimObject {
    const body = normalizeBody(this.resolver, input);
    this.validateBody(body);
    return body;
  }

  /** Applies `attributes`/`excludedAttributes` and the `returned` characteristics to a resource. */
  project(resource: ScimObject, options: ProjectionOptions = {}): ScimObject {
    return projectResource(this.resolver, resource, options);
  }
}
