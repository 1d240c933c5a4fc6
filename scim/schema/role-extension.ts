/**
 * scimd's own Group extension: how a role is governed. The values are managed by scimd, so every
 * attribute is readOnly for SCIM clients (values sent by a client are ignored).
 */
import { attribute } from './attribute';
import type { SchemaDefinition } from './types';

export const ROLE_EXTENSION_URN = 'urn:scimd:params:scim:schemas:extension:role:2.0:Group';

export const ROLE_EXTENSION_SCHEMA: SchemaDefinition = {
  id: ROLE_EXTENSION_URN,
  name: 'Role',
  description: 'Governance properties of a group used as a role',
  attributes: [
    attribute('kind', 'string', 'Whether the role is built into scimd ("system") or defined by an operator ("custom").', {
      mutability: 'readOnly',
      canonicalValues: ['system', 'custom'],
    }),
    attribute('assignableTo', 'string', 'Which principals may hold the role: people, service accounts, or both.', {
      mutability: 'readOnly',
      canonicalValues: ['person', 'service', 'any'],
    }),
    attribute('risk', 'string', 'Risk level of the role; granting a high-risk role needs extra approval.', {
      mutability: 'readOnly',
      canonicalValues: ['normal', 'high'],
    }),
    attribute('permissions', 'string', 'The permissions the role grants.', {
      multiValued: true,
      caseExact: true,
      mutability: 'readOnly',
    }),
  ],
};
