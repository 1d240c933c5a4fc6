/** The resource types scimd serves (RFC 7643 §6) and every schema they use. */
import { ENTERPRISE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA_URN } from './enterprise-user';
import { GROUP_SCHEMA, GROUP_SCHEMA_URN } from './group';
import { ROLE_EXTENSION_SCHEMA, ROLE_EXTENSION_URN } from './role-extension';
import type { ResourceTypeDefinition, SchemaDefinition } from './types';
import { USER_SCHEMA, USER_SCHEMA_URN } from './user';

export const USER_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User account',
  schema: USER_SCHEMA_URN,
  schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA_URN, required: false }],
};

export const GROUP_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group, used as a role',
  schema: GROUP_SCHEMA_URN,
  schemaExtensions: [{ schema: ROLE_EXTENSION_URN, required: false }],
};

export const RESOURCE_TYPES: readonly ResourceTypeDefinition[] = [USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE];

export const SCHEMAS: readonly SchemaDefinition[] = [
  USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  ROLE_EXTENSION_SCHEMA,
];
