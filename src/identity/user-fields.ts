import type { UserEntity } from '../db/entities';
import { presenceOnly, type CollectionField, type FieldMap, type ScalarField } from './condition-sql';
import type { SortSpec } from './list-page';
import type { Condition } from './query';
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
    // Complex and unindexed attributes answer `pr` from the profile JSON, which scimd writes with
    // JSON.stringify: a key appears there, unescaped and followed by its value, only when present.
    name: presenceOnly('(u.given_name IS NOT NULL OR u.family_name IS NOT NULL OR u.profile LIKE \'%"name":{%\')'),
    addresses: presenceOnly('u.profile LIKE \'%"addresses":[%\''),
    photos: presenceOnly('u.profile LIKE \'%"photos":[%\''),
    x509Certificates: presenceOnly('u.profile LIKE \'%"x509Certificates":[%\''),
    'enterprise.manager': presenceOnly('u.manager_id IS NOT NULL'),
    groups: presenceOnly('EXISTS (SELECT 1 FROM role_members gm WHERE gm.user_id = u.id)'),
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

/** Fields no two users share a value of (case-insensitively for userName: its key column is unique). */
const UNIQUE_FIELDS: ReadonlySet<string> = new Set(['id', 'userName']);

/** Whether one user at most can match `where`: an equality on a unique field. */
export function atMostOneUser(where: Condition | undefined): boolean {
  return where?.kind === 'compare' && where.op === 'eq' && typeof where.value === 'string' && UNIQUE_FIELDS.has(where.field);
}

/** Fields a user list can be sorted by; keyset (cursor) paging needs a NOT NULL column. */
const nullable = (column: string, valueOf: (row: UserEntity) => string | number | null): SortSpec<UserEntity> =>
  ({ column, valueOf: (row) => valueOf(row) ?? '', keyset: false });

export const USER_SORTS: Readonly<Record<string, SortSpec<UserEntity>>> = {
  id: { column: 'u.id', valueOf: (row) => row.id, keyset: true },
  userName: { column: 'u.user_name_key', valueOf: (row) => row.userNameKey, keyset: true },
  'meta.created': { column: 'u.created_at', valueOf: (row) => row.createdAt, keyset: true },
  'meta.lastModified': { column: 'u.updated_at', valueOf: (row) => row.updatedAt, keyset: true },
  active: { column: 'u.active', valueOf: (row) => (row.active ? 1 : 0), keyset: false },
  externalId: nullable('u.external_id', (row) => row.externalId),
  displayName: nullable('u.display_name', (row) => row.displayName),
  'name.givenName': nullable('u.given_name', (row) => row.givenName),
  'name.familyName': nullable('u.family_name', (row) => row.familyName),
  title: nullable('u.title', (row) => row.title),
  userType: nullable('u.user_type', (row) => row.userType),
  'enterprise.employeeNumber': nullable('u.employee_number', (row) => row.employeeNumber),
  'enterprise.department': nullable('u.department', (row) => row.department),
  'enterprise.organization': nullable('u.organization', (row) => row.organization),
};
