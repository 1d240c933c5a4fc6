/** Enterprise User extension, RFC 7643 §4.3. */
import { attribute, complex } from './attribute';
import type { SchemaDefinition } from './types';

export const ENTERPRISE_USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export const ENTERPRISE_USER_SCHEMA: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA_URN,
  name: 'EnterpriseUser',
  description: 'Enterprise user',
  attributes: [
    attribute('employeeNumber', 'string', 'Identifier the organisation assigned to the user, such as a personnel number.'),
    attribute('costCenter', 'string', 'Name of the cost center the user is charged to.'),
    attribute('organization', 'string', 'Name of the organisation the user belongs to.'),
    attribute('division', 'string', 'Name of the division the user belongs to.'),
    attribute('department', 'string', 'Name of the department the user belongs to.'),
    complex('manager', 'The user\'s manager, a User of this service provider.', [
      attribute('value', 'string', 'The id of the manager\'s User resource.'),
      attribute('$ref', 'reference', 'The URI of the manager\'s User resource.', { referenceTypes: ['User'] }),
      attribute('displayName', 'string', 'The display name of the manager, filled in by the service provider.', {
        mutability: 'readOnly',
      }),
    ]),
  ],
};
