import type { FieldMap } from './condition-sql';

/** How role (SCIM Group) fields map to SQL (alias `r` = roles, `m` = role_members). */
export const ROLE_FIELDS: FieldMap = {
  ownerId: 'r.id',
  scalars: {
    id: { type: 'string', column: 'r.id', caseExact: true },
    externalId: { type: 'string', column: 'r.external_id', caseExact: true },
    displayName: { type: 'string', column: 'r.display_name_key', caseExact: false, folded: true },
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

export const ROLE_SORT_COLUMNS: Readonly<Record<string, string>> = {
  id: 'r.id',
  externalId: 'r.external_id',
  displayName: 'r.display_name_key',
  'meta.created': 'r.created_at',
  'meta.lastModified': 'r.updated_at',
};
