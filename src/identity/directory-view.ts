import { In, IsNull, Not, type DataSource } from 'typeorm';
import { RoleEntity, RoleMemberEntity, UserEntity } from '../db/entities';
import { columnText, columnTextOrNull } from '../db/insert-rows';
import { roleNameKey } from './role-name';
import type { UserProfile } from './user-profile';

/**
 * What the directory sync's planner reads of the store: AD-sourced users, soft-match candidates,
 * roles and their AD-sourced members. Reads only; the sync writes through UserDirectory and
 * RoleDirectory like every other door.
 */
export interface StoredDirectoryUser {
  readonly id: string;
  readonly source: string;
  /** AD objectGUID for AD-sourced users. */
  readonly anchor: string | null;
  /** The DN the user had at the last sync, to resolve group member DNs in delta runs. */
  readonly dn: string | null;
  readonly userName: string;
  readonly active: boolean;
  readonly profile: UserProfile;
}

/** What a streamed sync needs of a stored AD user to tell it left: no profile. */
export interface StoredDirectoryUserKey {
  readonly id: string;
  readonly anchor: string;
  readonly dn: string | null;
  readonly active: boolean;
}

/** A role made from an Active Directory group, linked to it by the group's objectGUID. */
export interface LinkedRole {
  /** roles.display_name_key: the role's name as names compare (role-name.ts). */
  readonly key: string;
  readonly name: string;
}

/** Values per IN (…) list: well under every driver's bound-parameter limit. */
const CHUNK = 500;

export class DirectoryView {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * AD-sourced users; all of them, or those with the given anchors. Plain SQL of the seven columns
   * the planner reads: TypeORM's find spent more building a 500-anchor IN list's parameters and
   * hydrating 22-column entities than MariaDB spent answering (a streamed sync asks once per page).
   */
  async adUsers(anchors?: readonly string[]): Promise<StoredDirectoryUser[]> {
    if (anchors === undefined) return (await this.dataSource.query(SELECT_AD_USERS) as StoredUserRow[]).map(stored);
    const rows: StoredUserRow[] = [];
    for (const chunk of chunks(anchors)) {
      rows.push(...await this.dataSource.query(`${SELECT_AD_USERS} AND source_anchor IN (${placeholders(chunk)})`, chunk) as StoredUserRow[]);
    }
    return rows.map(stored);
  }

  /** Users not (yet) owned by the sync whose userName is one of these (soft-match candidates). */
  async unanchoredUsersByUserName(userNames: readonly string[]): Promise<StoredDirectoryUser[]> {
    const rows: StoredUserRow[] = [];
    for (const chunk of chunks(userNames.map((name) => name.toLowerCase()))) {
      rows.push(...await this.dataSource.query(`${SELECT_USERS} WHERE source <> 'ad' AND user_name_key IN (${placeholders(chunk)})`, chunk) as StoredUserRow[]);
    }
    return rows.map(stored);
  }

  async adUserCount(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).countBy({ source: 'ad' });
  }

  /**
   * DN (lower-case) → anchor of every active AD-sourced user: resolves group members that this run
   * did not read. Inactive users hold no AD-sourced roles, so they are left out.
   */
  async anchorsByDn(): Promise<Map<string, string>> {
    const rows = await this.dataSource.getRepository(UserEntity).find({
      where: { source: 'ad', active: true }, select: { sourceAnchor: true, sourceDn: true },
    });
    return new Map(rows.filter((row) => row.sourceDn && row.sourceAnchor)
      .map((row) => [(row.sourceDn as string).toLowerCase(), row.sourceAnchor as string]));
  }

  /**
   * One page of the AD-sourced users' ids and anchors, in anchor order after `afterAnchor`: a
   * streamed full sync walks the store with it to find who is no longer in the directory, a page
   * at a time. Read from the anchor index alone (it holds the anchor, the source and the id): the
   * walk visits every AD user, and a visit to each one's row cost seconds at 100,000 users once the
   * table outgrew the buffer pool. The few that left are then read whole (adKeysByIds).
   */
  async adUserAnchorsPage(afterAnchor: string | null, limit: number): Promise<{ id: string; anchor: string }[]> {
    const after = afterAnchor === null ? '' : ' AND source_anchor > ?';
    const rows = await this.dataSource.query(
      `SELECT id, source_anchor FROM users WHERE source = 'ad' AND source_anchor IS NOT NULL${after} ORDER BY source_anchor LIMIT ?`,
      afterAnchor === null ? [limit] : [afterAnchor, limit],
    ) as { id: string | number; source_anchor: string | number }[];
    return rows.map((row) => ({ id: columnText(row.id), anchor: columnText(row.source_anchor) }));
  }

  /** The anchor and DN of these users (by id) that are AD-sourced: where a stored manager reference points. */
  async adKeysByIds(ids: readonly string[]): Promise<StoredDirectoryUserKey[]> {
    const rows: UserEntity[] = [];
    for (const chunk of chunks([...new Set(ids)])) {
      rows.push(...await this.dataSource.getRepository(UserEntity).find({
        where: { id: In(chunk), source: 'ad' }, select: { id: true, sourceAnchor: true, sourceDn: true, active: true },
      }));
    }
    return rows.flatMap((row) => (row.sourceAnchor === null ? [] : [{ id: row.id, anchor: row.sourceAnchor, dn: row.sourceDn, active: row.active }]));
  }

  /** DN (as stored) → anchor of the active AD-sourced users holding these DNs (exact match: there is no index to do better). */
  async activeAnchorsForDns(dns: readonly string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (const chunk of chunks([...new Set(dns)])) {
      const rows = await this.dataSource.getRepository(UserEntity).find({
        where: { source: 'ad', active: true, sourceDn: In(chunk) }, select: { sourceAnchor: true, sourceDn: true },
      });
      for (const row of rows) if (row.sourceDn !== null && row.sourceAnchor !== null) result.set(row.sourceDn, row.sourceAnchor);
    }
    return result;
  }

  /** The keys (role-name.ts) of every role's name. */
  async roleNames(): Promise<Set<string>> {
    const rows = await this.dataSource.getRepository(RoleEntity).find({ select: { displayNameKey: true } });
    return new Set(rows.map((row) => row.displayNameKey));
  }

  /** Roles made from AD groups, by the group's objectGUID (lower-case). */
  async linkedRoles(): Promise<Map<string, LinkedRole>> {
    const rows = await this.dataSource.getRepository(RoleEntity).find({
      where: { source: 'ad', sourceAnchor: Not(IsNull()) }, select: { displayName: true, displayNameKey: true, sourceAnchor: true },
    });
    return new Map(rows.filter((row) => row.sourceAnchor !== null)
      .map((row) => [(row.sourceAnchor as string).toLowerCase(), { key: row.displayNameKey, name: row.displayName }]));
  }

  /** The AD-sourced members (by anchor) of each named role, by role key. */
  async adRoleMembers(roleNames: readonly string[]): Promise<Map<string, Set<string>>> {
    return this.adRoleMembersByKey(roleNames.map(roleNameKey));
  }

  /**
   * The AD-sourced members of each role (by role key, roles.display_name_key), by anchor, among these
   * users only (a delta run's touched users). Read from the users' side (users.source_anchor, then
   * role_members.user_id, both indexed), so the cost follows the users, not the roles' size: a join
   * from the roles' side would walk every member of each role.
   */
  async adRoleMembershipsOf(roleKeys: readonly string[], anchors: readonly string[]): Promise<Map<string, Set<string>>> {
    const keys = [...new Set(roleKeys)];
    const result = new Map<string, Set<string>>(keys.map((key) => [key, new Set<string>()]));
    if (keys.length === 0 || anchors.length === 0) return result;
    const keyOfRole = new Map<string, string>();
    for (const chunk of chunks(keys)) {
      const roles = await this.dataSource.getRepository(RoleEntity).find({ where: { displayNameKey: In(chunk) }, select: { id: true, displayNameKey: true } });
      for (const role of roles) keyOfRole.set(role.id, role.displayNameKey);
    }
    for (const chunk of chunks([...new Set(anchors)])) {
      const users = await this.dataSource.getRepository(UserEntity).find({ where: { sourceAnchor: In(chunk) }, select: { id: true, sourceAnchor: true } });
      const anchorOfUser = new Map(users.flatMap((user) => (user.sourceAnchor === null ? [] : [[user.id, user.sourceAnchor] as const])));
      if (anchorOfUser.size === 0) continue;
      const memberships = await this.dataSource.getRepository(RoleMemberEntity).find({
        where: { source: 'ad', userId: In([...anchorOfUser.keys()]) }, select: { roleId: true, userId: true },
      });
      for (const membership of memberships) {
        const key = keyOfRole.get(membership.roleId);
        const anchor = anchorOfUser.get(membership.userId);
        if (key !== undefined && anchor !== undefined) result.get(key)?.add(anchor);
      }
    }
    return result;
  }

  /** The AD-sourced members (by anchor) of each role, by role key: adRoleMembers for keys rather than names. */
  async adRoleMembersByKey(roleKeys: readonly string[]): Promise<Map<string, Set<string>>> {
    const keys = [...new Set(roleKeys)];
    const result = new Map<string, Set<string>>(keys.map((key) => [key, new Set<string>()]));
    for (const chunk of chunks(keys)) {
      const rows = await this.dataSource.createQueryBuilder()
        .select(['r.display_name_key AS role', 'u.source_anchor AS anchor'])
        .from(RoleMemberEntity, 'm')
        .innerJoin(RoleEntity, 'r', 'r.id = m.role_id')
        .innerJoin(UserEntity, 'u', 'u.id = m.user_id')
        .where("m.source = 'ad' AND r.display_name_key IN (:...keys)", { keys: chunk })
        .getRawMany<{ role: string; anchor: string | null }>();
      for (const row of rows) if (row.anchor) result.get(row.role)?.add(row.anchor);
    }
    return result;
  }

  /** Which of these roles (by key) have at least one AD-sourced member. */
  async rolesWithAdMembers(roleKeys: readonly string[]): Promise<Set<string>> {
    const result = new Set<string>();
    for (const chunk of chunks([...new Set(roleKeys)])) {
      const rows = await this.dataSource.createQueryBuilder()
        .select('r.display_name_key', 'role')
        .from(RoleEntity, 'r')
        .where('r.display_name_key IN (:...keys)', { keys: chunk })
        .andWhere((query) => `EXISTS ${query.subQuery().select('1').from(RoleMemberEntity, 'm')
          .where("m.role_id = r.id AND m.source = 'ad'").getQuery()}`)
        .getRawMany<{ role: string }>();
      for (const row of rows) result.add(row.role);
    }
    return result;
  }
}

const SELECT_USERS = 'SELECT id, source, source_anchor, source_dn, user_name, active, profile FROM users';
const SELECT_AD_USERS = `${SELECT_USERS} WHERE source = 'ad'`;

/** A row of SELECT_USERS as the drivers return it (`active` 0/1, text columns possibly numbers). */
type StoredUserRow = Record<'id' | 'source' | 'source_anchor' | 'source_dn' | 'user_name' | 'active' | 'profile', string | number | null>;

function stored(row: StoredUserRow): StoredDirectoryUser {
  return {
    id: columnText(row.id), source: columnText(row.source), anchor: columnTextOrNull(row.source_anchor), dn: columnTextOrNull(row.source_dn),
    userName: columnText(row.user_name), active: Number(row.active) === 1, profile: JSON.parse(columnText(row.profile)) as UserProfile,
  };
}

const placeholders = (values: readonly unknown[]): string => values.map(() => '?').join(', ');

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
