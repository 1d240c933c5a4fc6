import type { EntityManager } from 'typeorm';
import { UserEntity } from '../db/entities';
import { bit, insertRows, columnText, columnTextOrNull, type RowValue } from '../db/insert-rows';
import { deferStatement, type Statement } from '../db/statement-batch';
import { invalidError, mutabilityError, type DomainError } from '../errors';
import { diffAttributes, type AuditRecord } from '../governance/audit';
import { nowIso, sourceOf, type ChangeContext } from './change-context';
import { assertManagesUsers } from './grant-rules';
import type { UserProfile } from './user-profile';
import { auditView, checkProfile, columnsOf, indexedValueRows } from './user-rows';

/**
 * The one way users are written, whichever door asks: SCIM and the CLI one user at a time, the
 * directory sync a batch at a time. Every write here takes the rule of source of authority, bumps
 * the version, keeps the indexed values in step with the profile and produces the audit record
 * naming the user by id. Callers own the transaction and write the audit records in it.
 */

/** A user about to be inserted. */
export interface NewUser {
  readonly id: string;
  readonly profile: UserProfile;
  readonly passwordHash: string | null;
  /** The directory object behind the user (the sync's creates only). */
  readonly directory?: DirectoryLink;
}

/** Active Directory's stable id for the user (objectGUID) and the DN it was last seen at. */
export interface DirectoryLink {
  readonly anchor: string;
  readonly dn: string | null;
}

/** A change to an existing user, applied to its locked row. */
export interface UserChange {
  readonly profile: UserProfile;
  /** A new password hash; undefined keeps the stored one. */
  readonly passwordHash?: string;
  /** The sync only: the directory object now behind the user (a soft match hands a user over). */
  readonly directory?: DirectoryLink;
  /** How the audit names the change: user.update (default), user.deactivate or user.reactivate. */
  readonly action?: 'update' | 'deactivate' | 'reactivate';
}

/**
 * Rows per multi-row INSERT: a sync batch of 500 users is two user INSERTs. 22 bound values a user
 * row (5,500 a statement), 6 a value row: under SQLite's 32,766 and far under MariaDB's 65,535.
 */
const USERS_PER_INSERT = 250;
const VALUES_PER_INSERT = 1000;

const USER_COLUMNS = [
  'id', 'user_name', 'user_name_key', 'external_id', 'display_name', 'given_name', 'family_name', 'title', 'user_type', 'active',
  'employee_number', 'department', 'organization', 'manager_id', 'profile', 'password_hash', 'source', 'source_anchor', 'source_dn',
  'version', 'created_at', 'updated_at',
] as const;
/** What an update writes: every column but id and created_at, in the order updateUser binds them. */
const UPDATED_COLUMNS = USER_COLUMNS.filter((column) => column !== 'id' && column !== 'created_at');
const VALUE_COLUMNS = ['user_id', 'attribute', 'type', 'is_primary', 'value', 'value_key'] as const;

/**
 * Inserts users with their indexed values and returns their rows and audit records. The rows are
 * built here, ids included, and written as plain multi-row INSERTs (src/db/insert-rows.ts): nothing
 * is read back, every column is given.
 */
export async function insertUsers(
  manager: EntityManager, context: ChangeContext, users: readonly NewUser[],
): Promise<{ rows: UserEntity[]; audits: AuditRecord[] }> {
  if (users.some((user) => user.directory !== undefined) && context.door !== 'sync') {
    throw invalidError('Only the directory sync links users to directory objects');
  }
  const now = nowIso();
  const source = sourceOf(context);
  const rows = users.map((user) => {
    const json = JSON.stringify(user.profile); // once, for the size check and the column
    return Object.assign(new UserEntity(), {
      id: user.id, ...columnsOf(checkProfile(user.profile, json), json), passwordHash: user.passwordHash, source,
      sourceAnchor: user.directory?.anchor ?? null, sourceDn: user.directory?.dn ?? null,
      version: 1, createdAt: now, updatedAt: now,
    });
  });
  await insertRows(manager, 'users', USER_COLUMNS, rows.map((row): RowValue[] => [
    row.id, row.userName, row.userNameKey, row.externalId, row.displayName, row.givenName, row.familyName, row.title, row.userType,
    bit(row.active), row.employeeNumber, row.department, row.organization, row.managerId, row.profile, row.passwordHash, row.source,
    row.sourceAnchor, row.sourceDn, row.version, row.createdAt, row.updatedAt,
  ]), USERS_PER_INSERT);
  await insertIndexedValues(manager, users.flatMap((user) => indexedValueRows(user.id, user.profile)));
  const audits = users.map((user): AuditRecord => ({
    action: 'user.create', targetType: 'User', targetId: user.id, targetName: user.profile.userName,
    changes: diffAttributes({}, auditView(user.profile, user.passwordHash !== null)),
  }));
  return { rows, audits };
}

/** A users row as the drivers return it (snake_case; `active` 0/1, `version` a number or numeric text). */
type StoredUserRow = Record<(typeof USER_COLUMNS)[number], string | number | null>;

const text = columnText;
const textOrNull = columnTextOrNull;

/** A stored row as the entity TypeORM would have made of it. */
function userEntityOf(row: StoredUserRow): UserEntity {
  return Object.assign(new UserEntity(), {
    id: text(row.id), userName: text(row.user_name), userNameKey: text(row.user_name_key), externalId: textOrNull(row.external_id),
    displayName: textOrNull(row.display_name), givenName: textOrNull(row.given_name), familyName: textOrNull(row.family_name),
    title: textOrNull(row.title), userType: textOrNull(row.user_type), active: Number(row.active) === 1,
    employeeNumber: textOrNull(row.employee_number), department: textOrNull(row.department), organization: textOrNull(row.organization),
    managerId: textOrNull(row.manager_id), profile: text(row.profile), passwordHash: textOrNull(row.password_hash), source: text(row.source),
    sourceAnchor: textOrNull(row.source_anchor), sourceDn: textOrNull(row.source_dn), version: Number(row.version),
    createdAt: text(row.created_at), updatedAt: text(row.updated_at),
  });
}

const SELECT_USERS = `SELECT ${USER_COLUMNS.join(', ')} FROM users WHERE id IN `;

/**
 * The rows of these users, locked for the rest of the transaction (one statement for a whole
 * batch). Plain SQL: TypeORM's find built and hydrated the 22-column entity through its metadata
 * for every PATCH, PUT and DELETE (docs/benchmarks.md, "Eighth run").
 */
export async function lockUsers(manager: EntityManager, ids: readonly string[]): Promise<Map<string, UserEntity>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const read = lockUsersRead(manager, unique);
  return lockedUsers(await manager.query(read.sql, [...read.parameters]) as unknown[]);
}

/** lockUsers' statement, for a caller that sends it together with other reads (readTogether). */
export function lockUsersRead(manager: EntityManager, ids: readonly string[]): Statement {
  return { sql: `${SELECT_USERS}(${ids.map(() => '?').join(', ')})${forUpdateClause(manager)}`, parameters: [...ids] };
}

/** The rows of lockUsersRead as entities, by id. */
export function lockedUsers(rows: readonly unknown[]): Map<string, UserEntity> {
  return new Map((rows as StoredUserRow[]).map((row) => [text(row.id), userEntityOf(row)]));
}

/** What a manager link needs of a user row: no entity, no other column. */
export interface LockedProfileRow {
  readonly id: string;
  readonly source: string;
  readonly profile: string;
  readonly updatedAt: string;
}

/**
 * The id, source, profile and updated_at of these users, locked for the rest of the transaction as
 * lockUsers locks them; plain rows, for batch writes that change only the profile (manager links).
 */
export async function lockUserProfiles(manager: EntityManager, ids: readonly string[]): Promise<Map<string, LockedProfileRow>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await manager.query(
    `SELECT id, source, profile, updated_at FROM users WHERE id IN (${unique.map(() => '?').join(', ')})${forUpdateClause(manager)}`, unique,
  ) as { id: string; source: string; profile: string; updated_at: string }[];
  return new Map(rows.map((row) => [row.id, { id: row.id, source: row.source, profile: row.profile, updatedAt: row.updated_at }]));
}

/**
 * Applies a change to a locked user row. Returns the row as written and its audit record, or no
 * record when nothing changed (an unchanged PUT is not a change: no version bump, no audit).
 */
export async function updateUser(
  manager: EntityManager, context: ChangeContext, current: UserEntity, change: UserChange,
): Promise<{ row: UserEntity; audit?: AuditRecord }> {
  if (change.directory !== undefined && context.door !== 'sync') {
    throw invalidError('Only the directory sync links users to directory objects');
  }
  const profile = checkProfile(change.profile);
  const before = JSON.parse(current.profile) as UserProfile;
  const changes = diffAttributes(auditView(before, false), auditView(profile, change.passwordHash !== undefined));
  const relinked = change.directory !== undefined && (current.source !== 'ad'
    || current.sourceAnchor !== change.directory.anchor || (change.directory.dn !== null && current.sourceDn !== change.directory.dn));
  if (changes.length === 0 && !relinked) return { row: current };
  assertWritable(context, current, changes.map((item) => item.attribute), change.directory !== undefined);
  await assertManagesUsers(manager, context, [current.id]);
  const columns = columnsOf(profile);
  const next: UserEntity = Object.assign(new UserEntity(), current, columns, {
    ...(change.passwordHash === undefined ? {} : { passwordHash: change.passwordHash }),
    ...(change.directory === undefined ? {} : {
      source: 'ad', sourceAnchor: change.directory.anchor, sourceDn: change.directory.dn ?? current.sourceDn,
    }),
    version: current.version + 1,
    updatedAt: laterThan(current.updatedAt),
  });
  // Plain SQL, every column but the immutable ones named: TypeORM's update builder cost more CPU than the statement.
  await deferStatement(
    manager,
    `UPDATE users SET ${UPDATED_COLUMNS.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`,
    [
      next.userName, next.userNameKey, next.externalId, next.displayName, next.givenName, next.familyName, next.title, next.userType,
      bit(next.active), next.employeeNumber, next.department, next.organization, next.managerId, next.profile, next.passwordHash,
      next.source, next.sourceAnchor, next.sourceDn, next.version, next.updatedAt, current.id,
    ],
  );
  // The indexed values are rewritten only when they differ: most changes (a title, a name, `active`)
  // leave them as they were, and rewriting them was two of a PATCH's statements.
  const values = indexedValueRows(current.id, profile);
  if (JSON.stringify(values) !== JSON.stringify(indexedValueRows(current.id, before))) {
    await deferStatement(manager, 'DELETE FROM user_values WHERE user_id = ?', [current.id]);
    await insertIndexedValues(manager, values);
  }
  return {
    row: next,
    audit: {
      action: `user.${change.action ?? 'update'}`, targetType: 'User', targetId: current.id, targetName: profile.userName,
      changes: relinked ? [...changes, { attribute: 'source', from: current.source, to: 'ad' }] : changes,
    },
  };
}

/** Deletes a locked user row (its memberships and indexed values go with it, by foreign key). */
export async function deleteUser(manager: EntityManager, context: ChangeContext, current: UserEntity): Promise<AuditRecord> {
  assertWritable(context, current, ['the user itself'], false);
  await assertManagesUsers(manager, context, [current.id]);
  await deferStatement(manager, 'DELETE FROM users WHERE id = ?', [current.id]);
  return { action: 'user.delete', targetType: 'User', targetId: current.id, targetName: current.userName };
}

/**
 * Active Directory is the source of authority for the users it provisions: only the sync changes
 * them. Other doors read them, and manage the roles they hold through role memberships of their own.
 */
function assertWritable(context: ChangeContext, current: UserEntity, attributes: readonly string[], takingOver: boolean): void {
  if (current.source === 'ad' && context.door !== 'sync') throw syncManagedError(current.userName, attributes);
  // The other way round too: the sync changes the users it manages, and others only by taking them over (soft match).
  if (current.source !== 'ad' && context.door === 'sync' && !takingOver) {
    throw invalidError(`User "${current.userName}" is not managed by Active Directory sync; the sync leaves it alone`);
  }
}

function syncManagedError(userName: string, attributes: readonly string[]): DomainError {
  return mutabilityError(`User "${userName}" is managed by Active Directory sync: ${attributes.join(', ')} `
    + 'cannot be changed here; change it in Active Directory');
}

async function insertIndexedValues(manager: EntityManager, rows: ReturnType<typeof indexedValueRows>): Promise<void> {
  await insertRows(manager, 'user_values', VALUE_COLUMNS, rows.map((row): RowValue[] => [
    row.userId, row.attribute, row.type, bit(row.primary), row.value, row.valueKey,
  ]), VALUES_PER_INSERT);
}

/** ` FOR UPDATE` where the database locks rows (MariaDB); nothing on SQLite, whose write transactions queue whole. */
export function forUpdateClause(manager: EntityManager): string {
  return lockOption(manager).lock === undefined ? '' : ' FOR UPDATE';
}

/** SQLite has no row locks (a write transaction locks the file); MariaDB locks the rows for the update. */
export function lockOption(manager: EntityManager): { lock?: { mode: 'pessimistic_write' } } {
  return manager.connection.driver.options.type === 'better-sqlite3' ? {} : { lock: { mode: 'pessimistic_write' } };
}

/** lastModified must move forward even when two writes land in the same millisecond. */
export function laterThan(previous: string): string {
  const now = nowIso();
  return now > previous ? now : new Date(Date.parse(previous) + 1).toISOString();
}
