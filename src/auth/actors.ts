import type { EntityManager } from 'typeorm';
import type { Actor } from '../identity/change-context';
import { grantsOf, type HeldRoleRow } from './held-roles';

const ROLE_COLUMNS = 'r.display_name AS role_name, r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles';

/**
 * The actor as it stands now: a person's or a service account's permissions and managed roles
 * read again from their current roles; undefined when the person is no longer an active User or
 * the account is gone or disabled. An approval applies a change request as its requester with what
 * the requester may do at that moment, not when they asked; the sync acts as its account is now.
 */
export async function currentActor(
  manager: EntityManager, who: { type: string; id: string | null; name: string },
): Promise<Actor | undefined> {
  if (who.type === 'cli') return { type: 'cli', id: null, name: who.name, permissions: new Set(['*']), manages: 'all' };
  if (who.id === null || !['person', 'service-account', 'sync'].includes(who.type)) return undefined;
  const person = who.type === 'person';
  const present = person
    ? await manager.query('SELECT id FROM users WHERE id = ? AND active = ?', [who.id, true]) as unknown[]
    : await manager.query('SELECT id FROM service_accounts WHERE id = ? AND disabled_at IS NULL', [who.id]) as unknown[];
  if (present.length === 0) return undefined;
  const rows = await manager.query(person
    ? `SELECT ${ROLE_COLUMNS} FROM role_members m JOIN roles r ON r.id = m.role_id WHERE m.user_id = ?`
    : `SELECT ${ROLE_COLUMNS} FROM service_account_roles sar JOIN roles r ON r.id = sar.role_id WHERE sar.account_id = ?`,
  [who.id]) as HeldRoleRow[];
  const { permissions, manages } = grantsOf(rows);
  return { type: who.type as Actor['type'], id: who.id, name: who.name, permissions, manages };
}
