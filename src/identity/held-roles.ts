import type { Statement } from '../db/statement-batch';
import { inListingOrder, type HeldRole } from './held-role-order';
import type { RoleReference } from './role-model';

interface HeldRoleRow {
  readonly user_id: string;
  readonly role_id: string;
  readonly display_name: string;
  readonly role_key: string;
}

/**
 * The read of the roles these users hold. Plain SQL: it runs for every User a response carries.
 * Unordered: heldRolesByUser sorts (held-role-order.ts) rather than an ORDER BY that costs MariaDB
 * a temporary table and a sort per response.
 */
export function heldRolesRead(userIds: readonly string[]): Statement {
  return {
    sql: `SELECT m.user_id AS user_id, r.id AS role_id, r.display_name AS display_name, r.display_name_key AS role_key
         FROM role_members m JOIN roles r ON r.id = m.role_id WHERE m.user_id IN (${userIds.map(() => '?').join(', ')})`,
    parameters: [...userIds],
  };
}

/** The rows of heldRolesRead as each user's roles in listing order; every id asked for is a key. */
export function heldRolesByUser(userIds: readonly string[], rows: readonly unknown[]): Map<string, RoleReference[]> {
  const held = new Map<string, HeldRole[]>(userIds.map((id) => [id, []]));
  for (const row of rows as HeldRoleRow[]) {
    held.get(String(row.user_id))?.push({ id: String(row.role_id), displayName: String(row.display_name), key: String(row.role_key) });
  }
  return new Map([...held].map(([userId, roles]) => [userId, inListingOrder(roles)]));
}
