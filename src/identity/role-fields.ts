import type { RoleEntity } from '../db/entities';
import type { FieldMap } from './condition-sql';
import { foldRoleText, roleNameKey } from './role-name';
import type { SortSpec } from './list-page';

/** How role (SCIM Group) fields map to SQL (alias `r` = roles, `m` = role_members). */
export const ROLE_FIELDS: FieldMap = {
  ownerId: 'r.id',
  scalars: {
    id: { type: 'string', column: 'r.id', caseExact: true },
    externalId: { type: 'string', column: 'r.external_id', caseExact: true },
    // The key column holds names as they compare (role-name.ts): an operand is folded the same way,
    // whole for equality (an IdP looking up "Sales " finds "Sales"), without trimming for substrings.
    displayName: {
      type: 'string', column: 'r.display_name_key', caseExact: false, folded: true,
      fold: (value, op) => (op === 'eq' || op === 'ne' ? roleNameKey(value) : foldRoleText(value)),
    },
    'meta.created': { type: 'dateTime', column: 'r.created_at', caseExact: true },
    'meta.lastModified': { type: 'dateTime', column: 'r.updated_at', caseExact: true },
    'role.kind': { type: 'string', column: 'r.kind', caseExact: false },
    'role.assignableTo': { type: 'string', column: 'r.assignable_to', caseExact: false },
    'role.risk': { type: 'string', column: 'r.risk', caseExact: false },
  },
  collections: {
    members: {
      table: 'role_members',
      alias: 'm',
      ownerColumn: 'role_id',
      scope: '1 = 1',
      defaultSubField: 'value',
      subFields: { value: { type: 'string', column: 'm.user_id', caseExact: true } },
    },
  },
};

/** Fields a role list can be sorted by; keyset (cursor) paging needs a NOT NULL column. */
export const ROLE_SORTS: Readonly<Record<string, SortSpec<RoleEntity>>> = {
  id: { column: 'r.id', valueOf: (row) => row.id, keyset: true },
  externalId: { column: 'r.external_id', valueOf: (row) => row.externalId ?? '', keyset: false },
  displayName: { column: 'r.display_name_key', valueOf: (row) => row.displayNameKey, keyset: true },
  'meta.created': { column: 'r.created_at', valueOf: (row) => row.createdAt, keyset: true },
  'meta.lastModified': { column: 'r.updated_at', valueOf: (row) => row.updatedAt, keyset: true },
};
