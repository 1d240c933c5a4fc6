/**
 * Bodies of the discovery endpoints (RFC 7644 §4): `/Schemas`, `/Schemas/{id}`, `/ResourceTypes`
 * and `/ResourceTypes/{id}`, in the representations of RFC 7643 §6 and §7. `baseUrl` is the SCIM
 * base, e.g. `http://127.0.0.1:8080/scim/v2`; locations are built from it.
 */
import { notFound } from '../errors';
import { RESOURCE_TYPES, SCHEMAS } from './resource-types';
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition, ScimObject } from './types';

export const SCHEMA_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const LIST_RESPONSE_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/**
 * One attribute with every characteristic spelled out. `canonicalValues` appears only where defined,
 * `referenceTypes` on references and `subAttributes` on complex attributes.
 */
export function attributeRepresentation(attribute: AttributeDefinition): ScimObject {
  return {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    description: attribute.description,
    required: attribute.required,
    caseExact: attribute.caseExact,
    mutability: attribute.mutability,
    returned: attribute.returned,
    uniqueness: attribute.uniqueness,
    ...(attribute.canonicalValues ? { canonicalValues: [...attribute.canonicalValues] } : {}),
    ...(attribute.type === 'reference' ? { referenceTypes: [...(attribute.referenceTypes ?? [])] } : {}),
    ...(attribute.type === 'complex'
      ? { subAttributes: (attribute.subAttributes ?? []).map(attributeRepresentation) }
      : {}),
  };
}

function trimBase(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

export function schemaRepresentation(schema: SchemaDefinition, baseUrl: string): ScimObject {
  return {
    schemas: [SCHEMA_SCHEMA_URN],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(attributeRepresentation),
    meta: { resourceType: 'Schema', location: `${trimBase(baseUrl)}/Schemas/${schema.id}` },
  };
}

export function resourceTypeRepresentation(resourceType: ResourceTypeDefinition, baseUrl: string): ScimObject {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA_URN],
    id: resourceType.id,
    name: resourceType.name,
    endpoint: resourceType.endpoint,
    description: resourceType.description,
    schema: resourceType.schema,
    schemaExtensions: resourceType.schemaExtensions.map(({ schema, required }) => ({ schema, required })),
    meta: { resourceType: 'ResourceType', location: `${trimBase(baseUrl)}/ResourceTypes/${resourceType.id}` },
  };
}

function listResponse(resources: readonly ScimObject[]): ScimObject {
  return {
    schemas: [LIST_RESPONSE_URN],
    totalResults: resources.length,
    itemsPerPage: resources.length,
    startIndex: 1,
    Resources: resources,
  };
}

/** Body of `GET /Schemas`: a ListResponse of every schema. */
export function schemasListResponse(baseUrl: string): ScimObject {
  return listResponse(SCHEMAS.map((schema) => schemaRepresentation(schema, baseUrl)));
}

/** Body of `GET /Schemas/{id}`; the URN matches case-insensitively. Throws a 404 ScimError if unknown. */
export function schemaResponse(id: string, baseUrl: string): ScimObject {
  const schema = SCHEMAS.find((candidate) => candidate.id.toLowerCase() === id.toLowerCase());
  if (!schema) throw notFound(`Schema "${id}" not found`);
  return schemaRepresentation(schema, baseUrl);
}

/** Body of `GET /ResourceTypes`: a ListResponse of every resource type. */
export function resourceTypesListResponse(baseUrl: string): ScimObject {
  return listResponse(RESOURCE_TYPES.map((resourceType) => resourceTypeRepresentation(resourceType, baseUrl)));
}

/** Body of `GET /ResourceTypes/{id}`; the id matches case-insensitively. Throws a 404 ScimError if unknown. */
export function resourceTypeResponse(id: string, baseUrl: string): ScimObject {
  const resourceType = RESOURCE_TYPES.find((candidate) => candidate.id.toLowerCase() === id.toLowerCase());
  if (!resourceType) throw notFound(`Resource type "${id}" not found`);
  return resourceTypeRepresentation(resourceType, baseUrl);
}
