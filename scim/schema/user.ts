/** Core User schema, RFC 7643 §4.1 (attribute characteristics as in the §8.7.1 representation). */
import { attribute, complex, multiValuedSubAttributes } from './attribute';
import type { AttributeDefinition, SchemaDefinition } from './types';

export const USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:User';

const name = complex('name', 'The parts of the person\'s name.', [
  attribute('formatted', 'string', 'The whole name, formatted for display.'),
  attribute('familyName', 'string', 'Family name (last name in most Western languages).'),
  attribute('givenName', 'string', 'Given name (first name in most Western languages).'),
  attribute('middleName', 'string', 'Middle name(s).'),
  attribute('honorificPrefix', 'string', 'Title or salutation placed before the name, such as "Dr.".'),
  attribute('honorificSuffix', 'string', 'Suffix placed after the name, such as "Jr.".'),
]);

const addresses = complex(
  'addresses',
  'Postal addresses of the user.',
  [
    attribute('formatted', 'string', 'The whole address, formatted for mailing or display; may span lines.'),
    attribute('streetAddress', 'string', 'Street, house number and similar parts of the address.'),
    attribute('locality', 'string', 'City or locality.'),
    attribute('region', 'string', 'State or region.'),
    attribute('postalCode', 'string', 'Postal or ZIP code.'),
    attribute('country', 'string', 'Country, as an ISO 3166-1 alpha-2 code.'),
    attribute('type', 'string', 'What kind of address this is.', { canonicalValues: ['work', 'home', 'other'] }),
    attribute('primary', 'boolean', 'Whether this is the preferred address; at most one value may be primary.'),
  ],
  { multiValued: true },
);

const groups = complex(
  'groups',
  'Groups the user belongs to, directly or through nested groups; changed through the Group resources only.',
  [
    attribute('value', 'string', 'The id of the group.', { mutability: 'readOnly' }),
    attribute('$ref', 'reference', 'The URI of the group.', {
      mutability: 'readOnly',
      referenceTypes: ['User', 'Group'],
    }),
    attribute('display', 'string', 'A human-readable name of the group.', { mutability: 'readOnly' }),
    attribute('type', 'string', 'Whether the membership is direct or through a nested group.', {
      mutability: 'readOnly',
      canonicalValues: ['direct', 'indirect'],
    }),
  ],
  { multiValued: true, mutability: 'readOnly' },
);

function multiValued(
  attrName: string,
  description: string,
  subAttributes: readonly AttributeDefinition[],
): AttributeDefinition {
  return complex(attrName, description, subAttributes, { multiValued: true });
}

export const USER_ATTRIBUTES: readonly AttributeDefinition[] = [
  attribute('userName', 'string', 'Unique identifier of the user, typically used to sign in.', {
    required: true,
    uniqueness: 'server',
  }),
  name,
  attribute('displayName', 'string', 'The name of the user as it should be shown to end users.'),
  attribute('nickName', 'string', 'The casual name the user goes by.'),
  attribute('profileUrl', 'reference', 'A URI of an online profile of the user.', { referenceTypes: ['external'] }),
  attribute('title', 'string', 'The user\'s job title.'),
  attribute('userType', 'string', 'The relation of the user to the organisation, such as "Employee" or "Contractor".'),
  attribute('preferredLanguage', 'string', 'Preferred written or spoken language, as in the HTTP Accept-Language header.'),
  attribute('locale', 'string', 'Default location for localising dates, numbers and currency, such as "en-US".'),
  attribute('timezone', 'string', 'Time zone in IANA tz database format, such as "Europe/Berlin".'),
  attribute('active', 'boolean', 'Whether the user account is enabled.'),
  attribute('password', 'string', 'A cleartext password, accepted on write and never returned.', {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  multiValued('emails', 'Email addresses of the user.', multiValuedSubAttributes('email address', {
    typeValues: ['work', 'home', 'other'],
  })),
  multiValued('phoneNumbers', 'Phone numbers of the user.', multiValuedSubAttributes('phone number', {
    typeValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
  })),
  multiValued('ims', 'Instant messaging addresses of the user.', multiValuedSubAttributes('instant messaging address', {
    typeValues: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
  })),
  multiValued('photos', 'URIs of images of the user.', multiValuedSubAttributes('photo URI', {
    valueType: 'reference',
    valueReferenceTypes: ['external'],
    typeValues: ['photo', 'thumbnail'],
  })),
  addresses,
  groups,
  multiValued('entitlements', 'Entitlements held by the user.', multiValuedSubAttributes('entitlement')),
  multiValued('roles', 'Roles of the user, as free-form values.', multiValuedSubAttributes('role')),
  multiValued('x509Certificates', 'X.509 certificates issued to the user.', multiValuedSubAttributes(
    'DER-encoded certificate (base64)',
    { valueType: 'binary' },
  )),
];

export const USER_SCHEMA: SchemaDefinition = {
  id: USER_SCHEMA_URN,
  name: 'User',
  description: 'User account',
  attributes: USER_ATTRIBUTES,
};
