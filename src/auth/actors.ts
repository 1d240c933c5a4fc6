import type { EntityManager } from 'typeorm';
import type { Actor } from '../identity/change-context';
import { scopeOf } from '../identity/managed-scope';

interface RoleRow { permissions: string; manages: string; managed_roles: string | null }

/**
 * The actor as it stands now: a person's or a service account's permissions and managed roles
 * read again from their current roles. An approval applies a change request as its requester with
 * what the requester may do at that moment, not when they asked.
 */
export async function currentActor(
  manager: EntityManager, who: { type: string; id: string | null; name: string },
): Promise<Actor | undefined> {
  if (who.type === 'cli') return { type: 'cli', id: null, name: who.name, permissions: new Set(['*']), manages: 'all' };
  if (who.id === null) return undefined;
  let rows: RoleRow[];
  // A person acts only while their User exists and is active; an account while it exists and is enabled.
  const present = who.type === 'person'
    ? await manager.query('SELECT id FROM users WHERE id = ? AND active = ?', [who.id, true]) as unknown[]
    : await manager.query('SELECT id FROM service_accounts WHERE id = ? AND disabled_at IS NULL', [who.id]) as unknown[];
  if (present.length === 0) return undefined;
  if (who.type === 'person') {
    rows = await manager.query(
      `SELECT r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles FROM users u
       JOIN role_members m ON m.user_id = u.id JOIN roles r ON r.id = m.role_id WHERE u.id = ? AND u.active = ?`,
      [who.id, true],
    ) as RoleRow[];
  } else if (who.type === 'service-account' || who.type === 'sync') {
    rows = await manager.query(
      `SELECT r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles FROM service_accounts a
       JOIN service_account_roles sar ON sar.account_id = a.id JOIN roles r ON r.id = sar.role_id
       WHERE a.id = ? AND a.disabled_at IS NULL`, [who.id],
    ) as RoleRow[];
  } else {
    return undefined;
  }
  return {
    type: who.type, id: who.id, name: who.name,
    permissions: new Set(rows.flatMap((row) => JSON.parse(row.permissions) as string[])),
    manages: scopeOf(rows.map((row) => ({ manages: row.manages, managedRoles: row.managed_roles }))),
  };
}
