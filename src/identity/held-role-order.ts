import type { RoleReference } from './role-model';

/** A role a user holds, with the key it is listed by (roles.display_name_key). */
export interface HeldRole extends RoleReference {
  readonly key: string;
}

/**
 * A user's roles in the order SCIM lists them: by display_name_key as the database's binary
 * collation orders it (the bytes of the UTF-8 text: MariaDB's utf8mb4_bin, SQLite's BINARY), ties by
 * id. Sorting here rather than in SQL keeps the statement free of ORDER BY over a join or a UNION,
 * which MariaDB answers with a temporary table and a sort for every read (on disk when the UNION
 * also carries the profile text, as getWithRoles does: docs/benchmarks.md, "Sixth run").
 */
export function inListingOrder(roles: readonly HeldRole[]): RoleReference[] {
  if (roles.length <= 1) return roles.map(({ id, displayName }) => ({ id, displayName }));
  return roles
    .map((role) => ({ role, bytes: Buffer.from(role.key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes) || (a.role.id < b.role.id ? -1 : a.role.id > b.role.id ? 1 : 0))
    .map(({ role }) => ({ id: role.id, displayName: role.displayName }));
}
