/**
 * Common attributes (RFC 7643 §3.1): `id`, `externalId` and `meta` belong to every resource, whatever
 * its schemas. They are not listed in the schema representations (RFC 7643 §8.7.1 omits them), but
 * attribute resolution treats them as part of the core schema of each resource type.
 */
import { attribute, complex } from './attribute';
import type { AttributeDefinition } from './types';

export const ID_ATTRIBUTE: AttributeDefinition = attribute(
  'id',
  'string',
  'Identifier of the resource, assigned by the service provider; stable and never reassigned.',
  { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' },
);

export const EXTERNAL_ID_ATTRIBUTE: AttributeDefinition = attribute(
  'externalId',
  'string',
  'Identifier of the resource as known to the provisioning client.',
  { caseExact: true },
);

export const META_ATTRIBUTE: AttributeDefinition = complex(
  'meta',
  'Metadata about the resource, maintained by the service provider.',
  [
    attribute('resourceType', 'string', 'Name of the resource type of the resource.', {
      caseExact: true,
      mutability: 'readOnly',
    }),
    attribute('created', 'dateTime', 'When the resource was added to the service provider.', {
      mutability: 'readOnly',
    }),
    attribute('lastModified', 'dateTime', 'When the resource was last changed.', {
      mutability: 'readOnly',
    }),
    attribute('location', 'reference', 'The URI of the resource.', {
      mutability: 'readOnly',
      referenceTypes: ['uri'],
    }),
    attribute('version', 'string', 'Version of the resource, equal to the entity tag (ETag) of its current state.', {
      caseExact: true,
      mutability: 'readOnly',
    }),
  ],
  { mutability: 'readOnly' },
);

export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  ID_ATTRIBUTE,
  EXTERNAL_ID_ATTRIBUTE,
  META_ATTRIBUTE,
];
