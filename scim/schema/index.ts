/** Public API of the SCIM schema layer. */
import { GROUP_RESOURCE_TYPE, SCHEMAS, USER_RESOURCE_TYPE } from './resource-types';
import { ResourceSchema } from './resource-schema';

export type {
  AttributeDefinition, AttributeType, Mutability, ResourceTypeDefinition, Returned, SchemaDefinition, ScimObject,
  Uniqueness,
} from './types';
export { COMMON_ATTRIBUTES, EXTERNAL_ID_ATTRIBUTE, ID_ATTRIBUTE, META_ATTRIBUTE } from './common';
export { USER_SCHEMA, USER_SCHEMA_URN } from './user';
export { ENTERPRISE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA_URN } from './enterprise-user';
export { GROUP_SCHEMA, GROUP_SCHEMA_URN } from './group';
export { ROLE_EXTENSION_SCHEMA, ROLE_EXTENSION_URN } from './role-extension';
export { GROUP_RESOURCE_TYPE, RESOURCE_TYPES, SCHEMAS, USER_RESOURCE_TYPE } from './resource-types';
export type { ResolvedAttribute } from './resolver';
export { ResourceSchema, type NormalizeOptions } from './resource-schema';
export {
  MAX_ATTRIBUTE_NAMES, distinctAttributeNames, parseAttributeList, projectorFor, projectorsBuilt, type ProjectionOptions,
  type Projector,
} from './projection';
export {
  LIST_RESPONSE_URN, RESOURCE_TYPE_SCHEMA_URN, SCHEMA_SCHEMA_URN, resourceTypeResponse, resourceTypesListResponse,
  schemaResponse, schemasListResponse,
} from './discovery';

export const userResourceSchema = new ResourceSchema(USER_RESOURCE_TYPE, SCHEMAS);
export const groupResourceSchema = new ResourceSchema(GROUP_RESOURCE_TYPE, SCHEMAS);
