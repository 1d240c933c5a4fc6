import type { EntityManager } from 'typeorm';
import type { MemberChange } from './role-model';

/** Users per read: one IN (…) list each. */
const CHUNK = 500;

/**
 * A role's Active Directory members as the sync names them: by objectGUID. Resolved to user ids
 * inside the role's transaction, under its lock; an anchor no AD-sourced user holds names no one.
 */
export interface AnchoredMembers {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** AnchoredMembers as ids: the changes to apply, what the joining users hold, and each id's anchor. */
export interface ResolvedMembers {
  /** An add of the users found, then a remove of the users found. */
  readonly changes: readonly MemberChange[];
  /** The joining users (the add's ids), each with the membership it holds in the role (null: none). */
  readonly joining: ReadonlyMap<string, string | null>;
  /** User id → the anchor the sync named it by. */
  readonly anchorOf: ReadonlyMap<string, string>;
}

/**
 * Reads the AD users the anchors name, with the membership each holds in the role, in one statement
 * per chunk. The read uses only the users' (source_anchor, source) index, which holds their ids: the
 * same existence check a grant by id makes (an id names a user) without visiting the users' rows,
 * which at 100,000 members in a small buffer pool was a third of the sync's groups stage
 * (docs/benchmarks.md). Keys compare as the sync writes anchors: lower-case.
 */
export async function resolveAnchoredMembers(
  manager: EntityManager, roleId: string, members: AnchoredMembers,
): Promise<ResolvedMembers> {
  const found = new Map<string, { id: string; source: string | null }>();
  const anchors = [...new Set([...members.add, ...members.remove])];
  for (let i = 0; i < anchors.length; i += CHUNK) {
    const chunk = anchors.slice(i, i + CHUNK);
    const rows = await manager.query(
      'SELECT u.id, u.source_anchor, m.source FROM users u LEFT JOIN role_members m ON m.role_id = ? AND m.user_id = u.id '
        + `WHERE u.source = 'ad' AND u.source_anchor IN (${chunk.map(() => '?').join(', ')})`,
      [roleId, ...chunk],
    ) as { id: string | number; source_anchor: string | null; source: string | null }[];
    for (const row of rows) {
      if (row.source_anchor === null) continue;
      found.set(row.source_anchor.toLowerCase(), { id: String(row.id), source: row.source === null ? null : String(row.source) });
    }
  }
  const anchorOf = new Map<string, string>();
  const usersOf = (named: readonly string[]): { id: string; source: string | null }[] => named.flatMap((anchor) => {
    const user = found.get(anchor.toLowerCase());
    if (user === undefined) return [];
    anchorOf.set(user.id, anchor);
    return [user];
  });
  const adding = usersOf(members.add);
  const removing = usersOf(members.remove);
  return {
    changes: [{ kind: 'add', ids: adding.map((user) => user.id) }, { kind: 'remove', ids: removing.map((user) => user.id) }],
    joining: new Map(adding.map((user) => [user.id, user.source])),
    anchorOf,
  };
}
