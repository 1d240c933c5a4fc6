/**
 * Core Group schema, RFC 7643 §4.2. A Group is a role in scimd. Differences from the §8.7.1
 * representation, chosen for this server: `displayName` is required and unique, every member must
 * carry its `value`, and members may carry a `display` that the server fills in (ignored on input).
 */
import { attribute, complex } from './attribute';
import type { SchemaDefinition } from './types';

export const GROUP_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export const GROUP_SCHEMA: SchemaDefinition = {
  id: GROUP_SCHEMA_URN,
  name: 'Group',
  description: 'Group',
  attributes: [
    attribute('displayName', 'string', 'The name of the group (role), unique within the service provider.', {
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'members',
      'The users and groups that are members of the group.',
      [
        attribute('value', 'string', 'The id of the member resource.', { required: true, mutability: 'immutable' }),
        attribute('$ref', 'reference', 'The URI of the member resource.', {
          mutability: 'immutable',
          referenceTypes: ['User', 'Group'],
        }),
        attribute('display', 'string', 'A human-readable name of the member, filled in by the service provider.', {
          mutability: 'readOnly',
        }),
        attribute('type', 'string', 'The resource type of the member.', {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
        }),
      ],
      { multiValued: true },
    ),
  ],
};
