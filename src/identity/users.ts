import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { UserEntity, UserValueEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import {
  conflictError, invalidError, mutabilityError, notFoundError, preconditionFailedError, type DomainError,
} from '../errors';
import { diffAttributes, recordAudit } from '../governance/audit';
import { nowIso, type ChangeContext } from './change-context';
import { SqlConditionBuilder } from './condition-sql';
import { hashPassword } from './password-hash';
import type { ListQuery, ListResult } from './query';
import { isUniqueViolation } from './unique-violation';
import { listPage } from './list-page';
import { USER_FIELDS, USER_SORTS } from './user-fields';
import { INDEXED_MULTI_VALUED, type UserProfile, type UserRecord } from './user-profile';

export interface UserInput {
  readonly profile: UserProfile;
  /** A new password in clear text; stored only as a hash. */
  readonly password?: string;
}

export interface WriteOptions {
  /** The version the caller last saw (If-Match); a different current version fails with preconditionFailed. */
  readonly expectedVersion?: number;
}

/** The profile JSON must fit the portable `text` column (64 KiB on MariaDB). */
const MAX_PROFILE_BYTES = 65_000;
const MAX_INDEXED_VALUE_LENGTH = 512;
/** Names are shown in consoles, logs and CSV reports: no NUL, newlines or other control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Users: the rules of creating, changing, finding and deleting people, whichever door asks. */
export class UserDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async get(id: string): Promise<UserRecord> {
    const row = await this.dataSource.getRepository(UserEntity).findOneBy({ id });
    if (!row) throw notFoundError(`User ${id} not found`);
    return toRecord(row);
  }

  async list(query: ListQuery): Promise<ListResult<UserRecord>> {
    const builder = new SqlConditionBuilder(USER_FIELDS);
    const where = query.where ? builder.render(query.where) : undefined;
    const base = () => {
      const qb = this.dataSource.getRepository(UserEntity).createQueryBuilder('u');
      if (where) qb.where(where, builder.params);
      return qb;
    };
    const page = await listPage(base, 'u', query, USER_SORTS, 'meta.created');
    return { total: page.total, items: page.rows.map(toRecord), ...(page.next ? { next: page.next } : {}) };
  }

  async create(context: ChangeContext, input: UserInput): Promise<UserRecord> {
    const profile = checkProfile(input.profile);
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const now = nowIso();
    const row: UserEntity = Object.assign(new UserEntity(), {
      id: randomUUID(),
      ...columnsOf(profile),
      passwordHash,
      source: 'scim',
      sourceAnchor: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await this.write(async (manager) => {
      await this.assertUserNameFree(manager, profile.userName, null);
      await manager.insert(UserEntity, row);
      await writeIndexedValues(manager, row.id, profile);
      await recordAudit(manager, context, {
        action: 'user.create', targetType: 'User', targetId: row.id, targetName: profile.userName,
        changes: diffAttributes({}, auditView(profile, input.password !== undefined)),
      });
    }, profile.userName);
    return toRecord(row);
  }

  /**
   * Replaces a user's attributes. `input` may be a function of the current record (a PATCH): it
   * runs inside the transaction on the locked row, so concurrent patches apply one after another
   * instead of overwriting each other.
   */
  async replace(
    context: ChangeContext,
    id: string,
    input: UserInput | ((current: UserRecord) => UserInput),
    options: WriteOptions = {},
  ): Promise<UserRecord> {
    let saved: UserEntity | undefined;
    let userName = '';
    await this.write(async (manager) => {
      const current = await manager.findOne(UserEntity, { where: { id }, lock: lockFor(manager) });
      if (!current) throw notFoundError(`User ${id} not found`);
      assertVersion(current.version, options.expectedVersion);
      const wanted = typeof input === 'function' ? input(toRecord(current)) : input;
      const profile = checkProfile(wanted.profile);
      userName = profile.userName;
      const passwordHash = wanted.password === undefined ? undefined : await hashPassword(wanted.password);
      await this.assertUserNameFree(manager, profile.userName, id);
      const before = auditView(JSON.parse(current.profile) as UserProfile, false);
      const changes = diffAttributes(before, auditView(profile, passwordHash !== undefined));
      if (isSyncManaged(current, context)) {
        // Okta and others PUT back what they read: an unchanged resource is not a change.
        if (changes.length === 0) {
          saved = current;
          return;
        }
        throw syncManagedError(current.userName, changes.map((change) => change.attribute));
      }
      const next: UserEntity = Object.assign(current, {
        ...columnsOf(profile),
        ...(passwordHash === undefined ? {} : { passwordHash }),
        version: current.version + 1,
        updatedAt: laterThan(current.updatedAt),
      });
      await manager.update(UserEntity, { id }, next);
      await manager.delete(UserValueEntity, { userId: id });
      await writeIndexedValues(manager, id, profile);
      await recordAudit(manager, context, {
        action: 'user.update', targetType: 'User', targetId: id, targetName: profile.userName, changes,
      });
      saved = next;
    }, () => userName);
    return toRecord(saved as unknown as UserEntity);
  }

  async delete(context: ChangeContext, id: string, options: WriteOptions = {}): Promise<void> {
    await this.write(async (manager) => {
      const current = await manager.findOne(UserEntity, { where: { id }, lock: lockFor(manager) });
      if (!current) throw notFoundError(`User ${id} not found`);
      assertVersion(current.version, options.expectedVersion);
      if (isSyncManaged(current, context)) throw syncManagedError(current.userName, ['the user itself']);
      await manager.delete(UserEntity, { id });
      await recordAudit(manager, context, {
        action: 'user.delete', targetType: 'User', targetId: id, targetName: current.userName,
      });
    });
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

function checkProfile(profile: UserProfile): UserProfile {
  if (typeof profile.userName !== 'string' || profile.userName.trim() === '') {
    throw invalidError('userName is required and must not be empty');
  }
  if (profile.userName.length > 255) throw invalidError('userName is longer than 255 characters');
  if (CONTROL_CHARACTERS.test(profile.userName)) throw invalidError('userName must not contain control characters');
  if (Buffer.byteLength(JSON.stringify(profile)) > MAX_PROFILE_BYTES) {
    throw invalidError(`The user's attributes are larger than ${MAX_PROFILE_BYTES} bytes`);
  }
  for (const attribute of INDEXED_MULTI_VALUED) {
    for (const item of profile[attribute] ?? []) {
      if (typeof item.value === 'string' && item.value.length > MAX_INDEXED_VALUE_LENGTH) {
        throw invalidError(`${attribute}.value is longer than ${MAX_INDEXED_VALUE_LENGTH} characters`);
      }
    }
  }
  for (const key of ['externalId', 'displayName', 'title', 'userType'] as const) {
    const value = profile[key];
    if (typeof value === 'string' && value.length > 255) throw invalidError(`${key} is longer than 255 characters`);
  }
  return profile;
}

type UserColumns = Pick<UserEntity,
  'userName' | 'userNameKey' | 'externalId' | 'displayName' | 'givenName' | 'familyName' | 'title' | 'userType'
  | 'active' | 'employeeNumber' | 'department' | 'organization' | 'managerId' | 'profile'>;

const short = (value: string | undefined): string | null => (value === undefined ? null : value.slice(0, 255));

function columnsOf(profile: UserProfile): UserColumns {
  const enterprise = profile.enterprise ?? {};
  return {
    userName: profile.userName,
    userNameKey: profile.userName.toLowerCase(),
    externalId: profile.externalId ?? null,
    displayName: short(profile.displayName),
    givenName: short(profile.name?.givenName),
    familyName: short(profile.name?.familyName),
    title: short(profile.title),
    userType: short(profile.userType),
    active: profile.active ?? true,
    employeeNumber: short(enterprise.employeeNumber),
    department: short(enterprise.department),
    organization: short(enterprise.organization),
    managerId: short(enterprise.manager?.value),
    profile: JSON.stringify(profile),
  };
}

async function writeIndexedValues(manager: EntityManager, userId: string, profile: UserProfile): Promise<void> {
  const rows = INDEXED_MULTI_VALUED.flatMap((attribute) => (profile[attribute] ?? []).map((item) => ({
    userId,
    attribute,
    type: typeof item.type === 'string' ? item.type.toLowerCase().slice(0, 64) : null,
    primary: item.primary === true,
    value: typeof item.value === 'string' ? item.value : null,
    valueKey: typeof item.value === 'string' ? item.value.toLowerCase() : null,
  })));
  if (rows.length > 0) await manager.insert(UserValueEntity, rows);
}

function toRecord(row: UserEntity): UserRecord {
  return {
    id: row.id,
    profile: JSON.parse(row.profile) as UserProfile,
    source: row.source,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The audit view of a profile: flattened one level so changes name attributes, never the password. */
function auditView(profile: UserProfile, passwordSet: boolean): Record<string, unknown> {
  const { enterprise, ...core } = profile;
  // Absent `active` means active (RFC 7643 leaves the default to the server; scimd's is true).
  const view: Record<string, unknown> = { ...core, active: core.active ?? true };
  for (const [key, value] of Object.entries(enterprise ?? {})) view[`enterprise.${key}`] = value;
  if (passwordSet) view.password = '(set)';
  return view;
}

/**
 * Active Directory is the source of authority for the users it provisions: only the sync changes
 * them. Other doors read them, and manage the roles they hold through role memberships of their own.
 */
function isSyncManaged(user: UserEntity, context: ChangeContext): boolean {
  return user.source === 'ad' && context.door !== 'sync';
}

function syncManagedError(userName: string, attributes: readonly string[]): DomainError {
  return mutabilityError(`User "${userName}" is managed by Active Directory sync: ${attributes.join(', ')} `
    + 'cannot be changed here; change it in Active Directory');
}

export function assertVersion(current: number, expected: number | undefined): void {
  if (expected !== undefined && expected !== current) {
    throw preconditionFailedError(`The resource has changed (version ${current}, If-Match named ${expected})`);
  }
}

/** SQLite has no row locks (a write transaction locks the file); MariaDB locks the row for the update. */
export function lockFor(manager: EntityManager): { mode: 'pessimistic_write' } | undefined {
  return manager.connection.driver.options.type === 'better-sqlite3' ? undefined : { mode: 'pessimistic_write' };
}

/** lastModified must move forward even when two writes land in the same millisecond. */
export function laterThan(previous: string): string {
  const now = nowIso();
  return now > previous ? now : new Date(Date.parse(previous) + 1).toISOString();
}
