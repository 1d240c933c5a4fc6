import type { DataSource, EntityManager } from 'typeorm';
import { UserEntity } from '../db/entities';
import { readTogether } from '../db/statement-batch';
import { transaction } from '../db/transaction';
import { conflictError, notFoundError, preconditionFailedError } from '../errors';
import { recordAudits } from '../governance/audit';
import { assertPermitted, type ChangeContext } from './change-context';
import {
  applyDirectoryChanges, userIdsByAnchor, type DirectoryUserWrite, type DirectoryWriteOutcome,
} from './directory-writes';
import { SqlConditionBuilder } from './condition-sql';
import { hashPassword } from './password-hash';
import type { ListQuery, ListResult } from './query';
import type { RoleReference } from './role-model';
import { isUniqueViolation } from './constraint-violation';
import { inListingOrder, type HeldRole } from './held-role-order';
import { heldRolesByUser, heldRolesRead } from './held-roles';
import { listPage } from './list-page';
import { atMostOneUser, USER_FIELDS, USER_SORTS } from './user-fields';
import type { UserProfile, UserRecord } from './user-profile';
import { newUserId } from './user-ids';
import { checkProfile, toRecord } from './user-rows';
import { deleteUser, insertUsers, lockedUsers, lockUsers, lockUsersRead, updateUser } from './user-writes';

export interface UserInput {
  readonly profile: UserProfile;
  /** A new password in clear text; stored only as a hash. */
  readonly password?: string;
}

export interface WriteOptions {
  /** The version the caller last saw (If-Match); a different current version fails with preconditionFailed. */
  readonly expectedVersion?: number;
}

/** A user as SCIM shows it: its record and the roles it holds. */
export interface UserWithRoles {
  readonly record: UserRecord;
  readonly roles: RoleReference[];
}

/** The columns of `users` a UserRecord is made of. */
interface RecordRow {
  readonly id: string;
  readonly profile: string;
  readonly source: string;
  readonly version: number | string;
  readonly created_at: string;
  readonly updated_at: string;
}

/** Text as the binary collation orders it, for the ASCII of timestamps and ids. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function recordOf(row: RecordRow): UserRecord {
  return {
    id: row.id, profile: JSON.parse(row.profile) as UserProfile, source: row.source, version: Number(row.version),
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

/** A user's columns and the columns of one role it holds, or NULLs when it holds none (one row each). */
const WITH_ROLES = `SELECT u.id, u.profile, u.source, u.version, u.created_at, u.updated_at,
         r.id AS role_id, r.display_name AS role_name, r.display_name_key AS role_key
    FROM users u LEFT JOIN role_members m ON m.user_id = u.id LEFT JOIN roles r ON r.id = m.role_id`;

/** A row of WITH_ROLES. */
interface JoinedRow extends RecordRow {
  readonly role_id: string | null;
  readonly role_name: string | null;
  readonly role_key: string | null;
}

/** The users of WITH_ROLES rows, in the order they first appear, each with its roles in listing order. */
function withRoles(rows: readonly JoinedRow[]): UserWithRoles[] {
  const users = new Map<string, { row: JoinedRow; held: HeldRole[] }>();
  for (const row of rows) {
    let user = users.get(row.id);
    if (user === undefined) {
      user = { row, held: [] };
      users.set(row.id, user);
    }
    if (row.role_id !== null) user.held.push({ id: row.role_id, displayName: row.role_name ?? '', key: row.role_key ?? '' });
  }
  return [...users.values()].map(({ row, held }) => ({ record: recordOf(row), roles: inListingOrder(held) }));
}

/** SqlConditionBuilder names its parameters :f0, :f1, …; a plain statement takes them positionally, in order. */
function positional(where: string | undefined, named: Readonly<Record<string, string | number | null>>) {
  const values: (string | number | null)[] = [];
  const filter = where?.replace(/:(f\d+)\b/g, (_match, name: string) => {
    values.push(named[name] ?? null);
    return '?';
  });
  return { filter, values };
}

/** The order of a list that names none (SCIM leaves it to the server): creation, then id. */
const DEFAULT_SORT = 'meta.created';

/** What a listed user is read with: its record's columns and every keyset sort's column. */
const LISTED_COLUMNS = ['u.id', 'u.profile', 'u.source', 'u.version', 'u.createdAt', 'u.updatedAt', 'u.userNameKey'];

/** Users: the rules of creating, changing, finding and deleting people, whichever door asks. */
export class UserDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async get(id: string): Promise<UserRecord> {
    // Plain SQL for just the columns a record needs (measured: half the CPU of findOneBy, which
    // builds a 22-column entity).
    const rows = await this.dataSource.query(
      'SELECT id, profile, source, version, created_at, updated_at FROM users WHERE id = ?', [id],
    ) as RecordRow[];
    const row = rows[0];
    if (!row) throw notFoundError(`User ${id} not found`);
    return recordOf(row);
  }

  /**
   * A user and the roles it holds (SCIM `groups`, by role name), in one statement: the hottest read
   * of all, GET /Users/{id}, costs one round trip. A LEFT JOIN repeats the user's columns once per
   * role, yet MariaDB answers it with a third less CPU than a UNION of the user's row and its roles,
   * even for a user holding 14 roles (docs/benchmarks.md, "Twelfth run"). No ORDER BY: sorting rows
   * that carry the profile text made MariaDB build a temporary table for every GET; the roles are
   * sorted here.
   */
  async getWithRoles(id: string): Promise<UserWithRoles> {
    const rows = await this.dataSource.query(`${WITH_ROLES} WHERE u.id = ?`, [id]) as JoinedRow[];
    const user = withRoles(rows)[0];
    if (!user) throw notFoundError(`User ${id} not found`);
    return user;
  }

  async list(query: ListQuery): Promise<ListResult<UserRecord>> {
    const builder = new SqlConditionBuilder(USER_FIELDS);
    const where = query.where ? builder.render(query.where) : undefined;
    if ((query.after !== undefined || query.offset === 0) && query.limit > 0 && (query.sortBy ?? DEFAULT_SORT) === DEFAULT_SORT) {
      if (query.after === undefined && atMostOneUser(query.where)) return this.theOneMatch(where, builder.params);
      return this.pageInCreationOrder(where, builder.params, query);
    }
    // A record needs 6 of the 22 columns, and a keyset page the sort value: selecting just those
    // spares TypeORM most of its hydration (a sort by another column reads whole rows).
    const slim = USER_SORTS[query.sortBy ?? 'meta.created']?.keyset === true;
    const base = () => {
      const qb = this.dataSource.getRepository(UserEntity).createQueryBuilder('u');
      if (slim) qb.select(LISTED_COLUMNS);
      if (where) qb.where(where, builder.params);
      return qb;
    };
    const page = await listPage(base, 'u', query, USER_SORTS, DEFAULT_SORT);
    return { total: page.total, items: page.rows.map(toRecord), ...(page.next ? { next: page.next } : {}) };
  }

  /**
   * The first page of a list whose filter one user at most can match (`userName eq "…"`, the
   * look-up an identity provider sends before every change, or `id eq "…"`): the user and its roles
   * in one statement, as getWithRoles reads them, without the page's ORDER BY and LIMIT (and a
   * UNION to carry them) that pageInCreationOrder needs for a page of many users. Its total is
   * the number it found.
   */
  private async theOneMatch(where: string | undefined, named: Readonly<Record<string, string | number | null>>): Promise<ListResult<UserRecord>> {
    const { filter, values } = positional(where, named);
    const rows = await this.dataSource.query(`${WITH_ROLES}${filter === undefined ? '' : ` WHERE ${filter}`}`, values) as JoinedRow[];
    const found = withRoles(rows);
    return {
      total: found.length,
      items: found.map((user) => user.record),
      roles: new Map(found.map((user) => [user.record.id, user.roles])),
    };
  }

  /**
   * A page of a list in the default order (creation, then id), the first or one after a keyset (a
   * cursor page), with the roles of its users, in one plain statement: first pages of a filter many
   * users can match and every page of a cursor walk take this path (a look-up one user at most can
   * match takes theOneMatch). It answers what listPage does (one row more than asked tells whether there is a next page;
   * a first page that holds everything is its own count; a later page answers the walk's known
   * total), without TypeORM building the query and an entity of every row, and without the second
   * statement for the roles (docs/benchmarks.md, "Sixth run"). The first part of the UNION is the
   * page, the second the roles of the page's users (found by the same condition); rows are told apart
   * by `part` and put in order here, as a UNION's output has none.
   */
  private async pageInCreationOrder(
    where: string | undefined, named: Readonly<Record<string, string | number | null>>, query: ListQuery,
  ): Promise<ListResult<UserRecord>> {
    const { filter, values } = positional(where, named);
    const condition = filter === undefined ? '' : ` WHERE ${filter}`;
    const order = query.sortOrder === 'descending' ? 'DESC' : 'ASC';
    // A keyset page starts after the last row of the one before (list-page.ts does the same).
    const beyond = order === 'DESC' ? '<' : '>';
    const after = query.after === undefined ? undefined
      : `(u.created_at ${beyond} ? OR (u.created_at = ? AND u.id ${beyond} ?))`;
    const pageValues = query.after === undefined ? values : [...values, query.after.value, query.after.value, query.after.id];
    const pageCondition = after === undefined ? condition : ` WHERE ${filter === undefined ? after : `(${filter}) AND ${after}`}`;
    const limited = `FROM users u${pageCondition} ORDER BY u.created_at ${order}, u.id ${order} LIMIT ?`;
    const roleless = 'NULL AS role_id, NULL AS role_name, NULL AS role_key';
    // MariaDB keeps the profile text out of a temporary table only when the page is a parenthesised
    // part of the UNION, not a derived table; SQLite accepts only the derived table.
    const page = this.dataSource.options.type === 'better-sqlite3'
      ? `SELECT 0 AS part, p.id, p.profile, p.source, p.version, p.created_at, p.updated_at, ${roleless}
           FROM (SELECT u.id, u.profile, u.source, u.version, u.created_at, u.updated_at ${limited}) p`
      : `(SELECT 0 AS part, u.id, u.profile, u.source, u.version, u.created_at, u.updated_at, ${roleless} ${limited})`;
    const rows = await this.dataSource.query(
      `${page}
       UNION ALL
       SELECT 1, m.user_id, NULL, NULL, NULL, NULL, NULL, r.id, r.display_name, r.display_name_key
         FROM (SELECT u.id ${limited}) p JOIN role_members m ON m.user_id = p.id JOIN roles r ON r.id = m.role_id`,
      [...pageValues, query.limit + 1, ...pageValues, query.limit + 1],
    ) as (RecordRow & { part: number | string; role_id: string | null; role_name: string | null; role_key: string | null })[];
    const direction = order === 'DESC' ? -1 : 1;
    const byCreation = (a: RecordRow, b: RecordRow) => direction * (compareText(a.created_at, b.created_at) || compareText(a.id, b.id));
    const listed = rows.filter((row) => Number(row.part) === 0).sort(byCreation);
    const held = new Map<string, HeldRole[]>(listed.map((row) => [row.id, []]));
    for (const row of rows) {
      if (Number(row.part) === 0) continue;
      held.get(row.id)?.push({ id: row.role_id ?? '', displayName: row.role_name ?? '', key: row.role_key ?? '' });
    }
    const more = listed.length > query.limit;
    const items = (more ? listed.slice(0, query.limit) : listed).map(recordOf);
    const known = query.after === undefined ? (more ? undefined : items.length) : query.knownTotal;
    const total = known
      ?? Number((await this.dataSource.query(`SELECT COUNT(*) AS n FROM users u${condition}`, values) as { n: number | string }[])[0]?.n ?? 0);
    const roles = new Map(items.map((item) => [item.id, inListingOrder(held.get(item.id) ?? [])]));
    const last = items.at(-1);
    return more && last ? { total, items, roles, next: { value: last.createdAt, id: last.id } } : { total, items, roles };
  }

  async create(context: ChangeContext, input: UserInput): Promise<UserRecord> {
    assertPermitted(context, 'users:write');
    const profile = checkProfile(input.profile);
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    let created: UserEntity | undefined;
    // No look-up before the insert: the unique index on user_name_key answers a taken name (→ 409).
    await this.write(async (manager) => {
      const { rows, audits } = await insertUsers(manager, context, [{ id: newUserId(), profile, passwordHash }]);
      await recordAudits(manager, context, audits);
      created = rows[0];
    }, profile.userName);
    return toRecord(created as UserEntity);
  }

  /**
   * Replaces a user's attributes; returns the user as written and the roles it holds. `input` may
   * be a function of the current record (a PATCH): it runs inside the transaction on the locked
   * row, so concurrent patches apply one after another instead of overwriting each other. The
   * roles are read with the lock, in the same round trip (a user write does not change them).
   */
  async replace(
    context: ChangeContext,
    id: string,
    input: UserInput | ((current: UserRecord) => UserInput),
    options: WriteOptions = {},
  ): Promise<UserWithRoles> {
    assertPermitted(context, 'users:write');
    let saved: UserEntity | undefined;
    let roles: RoleReference[] = [];
    let userName = '';
    await this.write(async (manager) => {
      const [lockedRows = [], roleRows = []] = await readTogether(manager, [lockUsersRead(manager, [id]), heldRolesRead([id])]);
      const current = lockedUsers(lockedRows).get(id);
      if (!current) throw notFoundError(`User ${id} not found`);
      roles = heldRolesByUser([id], roleRows).get(id) ?? [];
      assertVersion(current.version, options.expectedVersion);
      const wanted = typeof input === 'function' ? input(toRecord(current)) : input;
      const profile = checkProfile(wanted.profile);
      userName = profile.userName;
      const passwordHash = wanted.password === undefined ? undefined : await hashPassword(wanted.password);
      if (current.userNameKey !== profile.userName.toLowerCase()) await this.assertUserNameFree(manager, profile.userName, id);
      const { row, audit } = await updateUser(manager, context, current, {
        profile, ...(passwordHash === undefined ? {} : { passwordHash }),
      });
      if (audit) await recordAudits(manager, context, [audit]);
      saved = row;
    }, () => userName);
    return { record: toRecord(saved as UserEntity), roles };
  }

  async delete(context: ChangeContext, id: string, options: WriteOptions = {}): Promise<void> {
    assertPermitted(context, 'users:write');
    await this.write(async (manager) => {
      const current = (await lockUsers(manager, [id])).get(id);
      if (!current) throw notFoundError(`User ${id} not found`);
      assertVersion(current.version, options.expectedVersion);
      await recordAudits(manager, context, [await deleteUser(manager, context, current)]);
    });
  }

  /**
   * The directory sync's writes: the same inserts, locked updates, rules and audit records as the
   * single writes above, a batch per transaction. See directory-writes.ts.
   */
  async applyDirectoryChanges(context: ChangeContext, writes: readonly DirectoryUserWrite[]): Promise<DirectoryWriteOutcome[]> {
    return applyDirectoryChanges(this.dataSource, context, writes);
  }

  /** The ids of the users Active Directory manages with these anchors (objectGUIDs), by anchor (lower-case). */
  async idsByAnchor(anchors: readonly string[]): Promise<Map<string, string>> {
    return userIdsByAnchor(this.dataSource.manager, anchors);
  }

  private async assertUserNameFree(manager: EntityManager, userName: string, ownId: string | null): Promise<void> {
    const holder = await manager.findOne(UserEntity, {
      where: { userNameKey: userName.toLowerCase() }, select: { id: true },
    });
    if (holder && holder.id !== ownId) throw conflictError(`userName "${userName}" is already taken`);
  }

  /** Runs a write in a transaction; a unique-index race surfaces as the same conflict a check would give. */
  private async write(work: (manager: EntityManager) => Promise<void>, userName?: string | (() => string)): Promise<void> {
    try {
      await transaction(this.dataSource, work);
    } catch (error) {
      const name = typeof userName === 'function' ? userName() : userName;
      if (isUniqueViolation(error)) throw conflictError(`userName "${name ?? ''}" is already taken`);
      throw error;
    }
  }
}

export function assertVersion(current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) {
    throw preconditionFailedError(`The resource has changed (version ${current}, If-Match named ${expected})`);
  }
}
