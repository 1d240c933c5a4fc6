import type { EntityManager } from 'typeorm';
import { RoleEntity } from '../db/entities';
import { columnText, columnTextOrNull } from '../db/insert-rows';
import { deferStatement, type Statement } from '../db/statement-batch';
import { forUpdateClause } from './user-writes';

/*
 * A role's row as plain SQL, for the hot write paths: a group PATCH locks its role's row and writes
 * it back once per request, and TypeORM's findOne and update builder cost more CPU than the
 * statements, while the row's lock makes every request on the group wait for the one before it
 * (docs/benchmarks.md, "Eighth run").
 */

const ROLE_COLUMNS = [
  'id', 'display_name', 'display_name_key', 'description', 'kind', 'assignable_to', 'risk', 'manages', 'managed_roles',
  'permissions', 'external_id', 'source', 'source_anchor', 'version', 'created_at', 'updated_at',
] as const;

type StoredRoleRow = Record<(typeof ROLE_COLUMNS)[number], string | number | null>;

const text = columnText;
const textOrNull = columnTextOrNull;

function roleEntityOf(row: StoredRoleRow): RoleEntity {
  return Object.assign(new RoleEntity(), {
    id: text(row.id), displayName: text(row.display_name), displayNameKey: text(row.display_name_key),
    description: textOrNull(row.description), kind: text(row.kind), assignableTo: text(row.assignable_to), risk: text(row.risk),
    manages: text(row.manages), managedRoles: textOrNull(row.managed_roles), permissions: text(row.permissions),
    externalId: textOrNull(row.external_id), source: text(row.source), sourceAnchor: textOrNull(row.source_anchor),
    version: Number(row.version), createdAt: text(row.created_at), updatedAt: text(row.updated_at),
  });
}

/** The role's row, locked for the rest of the transaction (as lockUsers locks users); null when there is none. */
export async function lockRole(manager: EntityManager, id: string): Promise<RoleEntity | null> {
  const read = lockRoleRead(manager, id);
  return lockedRole(await manager.query(read.sql, [...read.parameters]) as unknown[]);
}

/** lockRole's statement, for a caller that sends it together with other reads (readTogether). */
export function lockRoleRead(manager: EntityManager, id: string): Statement {
  return { sql: `SELECT ${ROLE_COLUMNS.join(', ')} FROM roles WHERE id = ?${forUpdateClause(manager)}`, parameters: [id] };
}

/** The row lockRoleRead found, as an entity; null when there is none. */
export function lockedRole(rows: readonly unknown[]): RoleEntity | null {
  const row = rows[0] as StoredRoleRow | undefined;
  return row ? roleEntityOf(row) : null;
}

/** What a role update writes: every column but id, kind, source and created_at, which no update changes. */
const UPDATED_COLUMNS = [
  'display_name', 'display_name_key', 'external_id', 'description', 'source_anchor', 'version', 'updated_at', 'permissions',
  'risk', 'assignable_to', 'manages', 'managed_roles',
] as const;

/** Writes a locked role's row back as it now stands. */
export async function writeRole(manager: EntityManager, role: RoleEntity): Promise<void> {
  await deferStatement(manager, `UPDATE roles SET ${UPDATED_COLUMNS.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`, [
    role.displayName, role.displayNameKey, role.externalId, role.description, role.sourceAnchor, role.version, role.updatedAt,
    role.permissions, role.risk, role.assignableTo, role.manages, role.managedRoles, role.id,
  ]);
}
