import { randomUUID } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { RoleEntity, RoleMemberEntity, UserEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import {
  conflictError, forbiddenError, invalidError, mutabilityError, notFoundError,
} from '../errors';
import { diffAttributes, recordAudit } from '../governance/audit';
import { nowIso, type ChangeContext } from './change-context';
import { SqlConditionBuilder } from './condition-sql';
import type { ListQuery, ListResult } from './query';
import { listPage } from './list-page';
import { ROLE_FIELDS, ROLE_SORTS } from './role-fields';
import type { Assignability, MemberChange, RoleInput, RoleMember, RoleRecord } from './role-model';
import { isUniqueViolation } from './unique-violation';
import { CONTROL_CHARACTERS } from './user-rows';
import { assertVersion, laterThan, lockFor, type WriteOptions } from './users';

/** Ids per IN (…) list: well under every driver's bound-parameter limit. */
const CHUNK = 500;

export interface RoleUpdate {
  /**
   * New attributes (PUT, or a PATCH that touched them); undefined leaves them as they are. A
   * function of the current role (a PATCH) runs on the locked row inside the transaction.
   */
  readonly attributes?: RoleInput | ((current: RoleRecord) => RoleInput);
  readonly memberChanges?: readonly MemberChange[];
}

/** Roles and their membership: system roles are immutable, assignability is enforced, every change audited. */
export class RoleDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async get(id: string): Promise<RoleRecord> {
    const row = await this.dataSource.getRepository(RoleEntity).findOneBy({ id });
    if (!row) throw notFoundError(`Group ${id} not found`);
    return toRoleRecord(row);
  }

  async findByName(name: string): Promise<RoleRecord | undefined> {
    const row = await this.dataSource.getRepository(RoleEntity).findOneBy({ displayNameKey: name.toLowerCase() });
    return row ? toRoleRecord(row) : undefined;
  }

  async list(query: ListQuery): Promise<ListResult<RoleRecord>> {
    const builder = new SqlConditionBuilder(ROLE_FIELDS);
    const where = query.where ? builder.render(query.where) : undefined;
    const base = () => {
      const qb = this.dataSource.getRepository(RoleEntity).createQueryBuilder('r');
      if (where) qb.where(where, builder.params);
      return qb;
    };
    const page = await listPage(base, 'r', query, ROLE_SORTS, 'meta.created');
    return { total: page.total, items: page.rows.map(toRoleRecord), ...(page.next ? { next: page.next } : {}) };
  }

  /** Members of each role, for a page of roles. */
  async membersOf(roleIds: readonly string[]): Promise<Map<string, RoleMember[]>> {
    const result = new Map<string, RoleMember[]>(roleIds.map((id) => [id, []]));
    if (roleIds.length === 0) return result;
    for (const ids of chunks(roleIds)) {
      const rows = await this.dataSource.createQueryBuilder()
        .select(['m.role_id AS role_id', 'm.user_id AS user_id', 'm.source AS source',
          'u.display_name AS display_name', 'u.user_name AS user_name'])
        .from(RoleMemberEntity, 'm')
        .innerJoin(UserEntity, 'u', 'u.id = m.user_id')
        .where('m.role_id IN (:...ids)', { ids })
        .orderBy('m.created_at', 'ASC').addOrderBy('m.user_id', 'ASC')
        .getRawMany<{ role_id: string; user_id: string; source: string; display_name: string | null; user_name: string }>();
      for (const row of rows) {
        result.get(row.role_id)?.push({ userId: row.user_id, display: row.display_name ?? row.user_name, source: row.source });
      }
    }
    return result;
  }

  /** The roles each user holds, for the read-only `groups` attribute of Users. */
  async rolesOfUsers(userIds: readonly string[]): Promise<Map<string, { id: string; displayName: string }[]>> {
    const result = new Map<string, { id: string; displayName: string }[]>(userIds.map((id) => [id, []]));
    for (const ids of chunks(userIds)) {
      // Plain SQL: this runs for every User a response carries.
      const rows = await this.dataSource.query(
        `SELECT m.user_id AS user_id, r.id AS role_id, r.display_name AS display_name FROM role_members m
         JOIN roles r ON r.id = m.role_id WHERE m.user_id IN (${ids.map(() => '?').join(', ')}) ORDER BY r.display_name_key`,
        [...ids],
      ) as { user_id: string; role_id: string; display_name: string }[];
      for (const row of rows) result.get(row.user_id)?.push({ id: row.role_id, displayName: row.display_name });
    }
    return result;
  }

  /** A custom role: whoever creates a Group over SCIM creates a role with no permissions. */
  async create(context: ChangeContext, input: RoleInput, memberIds: readonly string[] = []): Promise<RoleRecord> {
    checkInput(input);
    const now = nowIso();
    const row: RoleEntity = Object.assign(new RoleEntity(), {
      id: randomUUID(),
      displayName: input.displayName,
      displayNameKey: input.displayName.toLowerCase(),
      description: input.description ?? null,
      kind: 'custom',
      assignableTo: 'any',
      risk: 'normal',
      permissions: '[]',
      externalId: input.externalId ?? null,
      source: context.door === 'sync' ? 'ad' : 'scim',
      sourceAnchor: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await this.write(input.displayName, async (manager) => {
      await assertNameFree(manager, input.displayName, null);
      await manager.insert(RoleEntity, row);
      const added = await applyMemberChanges(manager, context, row, [{ kind: 'add', ids: memberIds }]);
      await recordAudit(manager, context, {
        action: 'role.create', targetType: 'Group', targetId: row.id, targetName: row.displayName,
        changes: { attributes: diffAttributes({}, attributeView(row)), ...added },
      });
    });
    return toRoleRecord(row);
  }

  async update(context: ChangeContext, id: string, update: RoleUpdate, options: WriteOptions = {}): Promise<RoleRecord> {
    let saved: RoleEntity | undefined;
    let name = '';
    await this.write(() => name, async (manager) => {
      const current = await manager.findOne(RoleEntity, { where: { id }, lock: lockFor(manager) });
      if (!current) throw notFoundError(`Group ${id} not found`);
      assertVersion(current.version, options.expectedVersion);
      const before = attributeView(current);
      const attributes = typeof update.attributes === 'function' ? update.attributes(toRoleRecord(current)) : update.attributes;
      if (attributes) {
        checkInput(attributes);
        name = attributes.displayName;
        const next = { ...current, ...attributesOf(attributes) };
        const changed = diffAttributes(before, attributeView(next));
        if (changed.length > 0 && current.kind === 'system') {
          throw mutabilityError(`"${current.displayName}" is a system role: its ${changed.map((c) => c.attribute).join(', ')} `
            + 'cannot be changed (its membership can)');
        }
        if (next.displayNameKey !== current.displayNameKey) await assertNameFree(manager, next.displayName, id);
        Object.assign(current, attributesOf(attributes));
      }
      const members = await applyMemberChanges(manager, context, current, update.memberChanges ?? []);
      const attributeChanges = diffAttributes(before, attributeView(current));
      if (attributeChanges.length === 0 && members.added.length === 0 && members.removed.length === 0) {
        saved = current;
        return;
      }
      current.version += 1;
      current.updatedAt = laterThan(current.updatedAt);
      await manager.update(RoleEntity, { id }, {
        displayName: current.displayName, displayNameKey: current.displayNameKey, externalId: current.externalId,
        description: current.description, version: current.version, updatedAt: current.updatedAt,
      });
      await recordAudit(manager, context, {
        action: 'role.update', targetType: 'Group', targetId: id, targetName: current.displayName,
        changes: { attributes: attributeChanges, ...members },
      });
      saved = current;
    });
    return toRoleRecord(saved as unknown as RoleEntity);
  }

  async delete(context: ChangeContext, id: string, options: WriteOptions = {}): Promise<void> {
    await this.write('', async (manager) => {
      const current = await manager.findOne(RoleEntity, { where: { id }, lock: lockFor(manager) });
      if (!current) throw notFoundError(`Group ${id} not found`);
      if (current.kind === 'system') throw forbiddenError(`"${current.displayName}" is a system role and cannot be deleted`);
      assertVersion(current.version, options.expectedVersion);
      await manager.delete(RoleMemberEntity, { roleId: id });
      await manager.delete(RoleEntity, { id });
      await recordAudit(manager, context, {
        action: 'role.delete', targetType: 'Group', targetId: id, targetName: current.displayName,
      });
    });
  }

  private async write(name: string | (() => string), work: (manager: EntityManager) => Promise<void>): Promise<void> {
    try {
      await transaction(this.dataSource, work);
    } catch (error) {
      const taken = typeof name === 'function' ? name() : name;
      if (isUniqueViolation(error)) throw conflictError(`A group named "${taken}" already exists`);
      if (isForeignKeyViolation(error)) {
        throw conflictError('The role is held by a service account; take it from the account first');
      }
      throw error;
    }
  }
}

/** Applies membership changes in order; returns the ids actually added and removed, for the audit. */
async function applyMemberChanges(
  manager: EntityManager,
  context: ChangeContext,
  role: RoleEntity,
  changes: readonly MemberChange[],
): Promise<{ added: string[]; removed: string[] }> {
  const added: string[] = [];
  const removed: string[] = [];
  const source = context.door === 'sync' ? 'ad' : 'scim';
  for (const change of changes) {
    if (change.kind === 'add' || change.kind === 'replace') await assertUsersMayJoin(manager, role, change.ids);
    if (change.kind === 'remove') {
      await assertNotSyncManaged(manager, context, role, change.ids);
      removed.push(...await removeMembers(manager, role.id, change.ids));
    } else if (change.kind === 'removeAll' || change.kind === 'replace') {
      // A SCIM writer replaces the memberships it owns; those that came from AD belong to the sync.
      const owned = await manager.find(RoleMemberEntity, { where: { roleId: role.id, source }, select: { userId: true } });
      const keep = new Set(change.kind === 'replace' ? change.ids : []);
      removed.push(...await removeMembers(manager, role.id, owned.map((m) => m.userId).filter((id) => !keep.has(id))));
    }
    if (change.kind === 'add' || change.kind === 'replace') {
      added.push(...await addMembers(manager, role.id, change.ids, source));
    }
  }
  return { added, removed };
}

async function assertUsersMayJoin(manager: EntityManager, role: RoleEntity, ids: readonly string[]): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const found = new Set<string>();
  for (const chunk of chunks(unique)) {
    const rows = await manager.find(UserEntity, { where: { id: In(chunk) }, select: { id: true } });
    for (const row of rows) found.add(row.id);
  }
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw invalidError(`Cannot add to "${role.displayName}": no user with id ${missing.slice(0, 5).join(', ')}`
      + `${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  }
  if ((role.assignableTo as Assignability) === 'service') {
    throw invalidError(`"${role.displayName}" can only be held by service accounts, never by a person: `
      + `user ${unique[0]} cannot be a member`);
  }
}

async function assertNotSyncManaged(
  manager: EntityManager, context: ChangeContext, role: RoleEntity, ids: readonly string[],
): Promise<void> {
  if (context.door === 'sync' || ids.length === 0) return;
  for (const chunk of chunks(ids)) {
    const managed = await manager.findOne(RoleMemberEntity, { where: { roleId: role.id, userId: In(chunk), source: 'ad' } });
    if (managed) {
      throw mutabilityError(`The membership of user ${managed.userId} in "${role.displayName}" is managed by Active `
        + 'Directory sync; change it in Active Directory');
    }
  }
}

async function addMembers(manager: EntityManager, roleId: string, ids: readonly string[], source: string): Promise<string[]> {
  const unique = [...new Set(ids)];
  const added: string[] = [];
  for (const chunk of chunks(unique)) {
    const existing = new Set((await manager.find(RoleMemberEntity, {
      where: { roleId, userId: In(chunk) }, select: { userId: true },
    })).map((m) => m.userId));
    const fresh = chunk.filter((id) => !existing.has(id));
    if (fresh.length === 0) continue;
    const createdAt = nowIso();
    await manager.insert(RoleMemberEntity, fresh.map((userId) => ({ roleId, userId, source, createdAt })));
    added.push(...fresh);
  }
  return added;
}

async function removeMembers(manager: EntityManager, roleId: string, ids: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const chunk of chunks([...new Set(ids)])) {
    const present = (await manager.find(RoleMemberEntity, {
      where: { roleId, userId: In(chunk) }, select: { userId: true },
    })).map((m) => m.userId);
    if (present.length === 0) continue;
    await manager.delete(RoleMemberEntity, { roleId, userId: In(present) });
    removed.push(...present);
  }
  return removed;
}

async function assertNameFree(manager: EntityManager, name: string, ownId: string | null): Promise<void> {
  const holder = await manager.findOne(RoleEntity, { where: { displayNameKey: name.toLowerCase() }, select: { id: true } });
  if (holder && holder.id !== ownId) throw conflictError(`A group named "${name}" already exists`);
}

function checkInput(input: RoleInput): void {
  if (typeof input.displayName !== 'string' || input.displayName.trim() === '') {
    throw invalidError('displayName is required and must not be empty');
  }
  if (input.displayName.length > 255) throw invalidError('displayName is longer than 255 characters');
  if (CONTROL_CHARACTERS.test(input.displayName)) throw invalidError('displayName must not contain control characters');
  if (input.externalId !== undefined && input.externalId.length > 255) throw invalidError('externalId is longer than 255 characters');
}

function attributesOf(input: RoleInput): Pick<RoleEntity, 'displayName' | 'displayNameKey' | 'externalId'> & { description?: string } {
  return {
    displayName: input.displayName,
    displayNameKey: input.displayName.toLowerCase(),
    externalId: input.externalId ?? null,
    // SCIM Groups carry no description: a PUT leaves the role's description alone.
    ...(input.description === undefined ? {} : { description: input.description }),
  };
}

function attributeView(row: Pick<RoleEntity, 'displayName' | 'externalId' | 'description'>): Record<string, unknown> {
  return {
    displayName: row.displayName,
    ...(row.externalId === null ? {} : { externalId: row.externalId }),
    ...(row.description === null ? {} : { description: row.description }),
  };
}

export function toRoleRecord(row: RoleEntity): RoleRecord {
  return {
    id: row.id,
    displayName: row.displayName,
    externalId: row.externalId,
    description: row.description,
    kind: row.kind === 'system' ? 'system' : 'custom',
    assignableTo: row.assignableTo as Assignability,
    risk: row.risk === 'high' ? 'high' : 'normal',
    permissions: JSON.parse(row.permissions) as string[],
    source: row.source,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function isForeignKeyViolation(error: unknown): boolean {
  const { code, driverError } = (error ?? {}) as { code?: unknown; driverError?: { code?: unknown } };
  return [code, driverError?.code].some((c) => c === 'ER_ROW_IS_REFERENCED_2' || c === 'SQLITE_CONSTRAINT_FOREIGNKEY');
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
