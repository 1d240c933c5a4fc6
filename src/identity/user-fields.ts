import type { CollectionField, FieldMap, ScalarField } from './condition-sql';
import { INDEXED_MULTI_VALUED } from './user-profile';

/** How user fields map to SQL for filtering and sorting (alias `u` = users, `v` = user_values). */
const text = (column: string, caseExact = false, folded = false): ScalarField =>
  ({ type: 'string', column: `u.${column}`, caseExact, folded });

const valueSubFields: Record<string, ScalarField> = {
  value: { type: 'string', column: 'v.value_key', caseExact: false, folded: true },
  type: { type: 'string', column: 'v.type', caseExact: false },
  primary: { type: 'boolean', column: 'v.is_primary', caseExact: false },
};

export const USER_FIELDS: FieldMap = {
  ownerId: 'u.id',
  scalars: {
    id: text('id', true),
    externalId: text('external_id', true),
    userName: text('user_name_key', false, true),
    displayName: text('display_name'),
    'name.givenName': text('given_name'),
    'name.familyName': text('family_name'),
    title: text('title'),
    userType: text('user_type'),
    active: { type: 'boolean', column: 'u.active', caseExact: false },
    'enterprise.employeeNumber': text('employee_number'),
    'enterprise.department': text('department'),
    'enterprise.organization': text('organization'),
    'enterprise.manager.value': text('manager_id', true),
    'meta.created': { type: 'dateTime', column: 'u.created_at', caseExact: true },
    'meta.lastModified': { type: 'dateTime', column: 'u.updated_at', caseExact: true },
  },
  collections: Object.fromEntries(INDEXED_MULTI_VALUED.map((attribute): [string, CollectionField] => [attribute, {
    table: 'user_values',
    alias: 'v',
    ownerColumn: 'user_id',
    scope: `v.attribute = '${attribute}'`,
    defaultSubField: 'value',
    subFields: valueSubFields,
  }])),
};

/** Fields a user list can be sorted by (single-valued ones). */
export const USER_SORT_COLUMNS: Readonly<Record<string, string>> = {
  id: 'u.id',
  externalId: 'u.external_id',
  userName: 'u.user_name_key',
  displayName: 'u.display_name',
  'name.givenName': 'u.given_name',
  'name.familyName': 'u.family_name',
  title: 'u.title',
  userType: 'u.user_type',
  active: 'u.active',
  'enterprise.employeeNumber': 'u.employee_number',
  'enterprise.department': 'u.department',
  'enterprise.organization': 'u.organization',
  'meta.created': 'u.created_at',
  'meta.lastModified': 'u.updated_at',
};
