import { randomUUID } from 'node:crypto';
import { In, Not, type DataSource, type EntityManager } from 'typeorm';
import { AuditEventEntity, RoleEntity, RoleMemberEntity, UserEntity, UserValueEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { invalidError } from '../errors';
import { diffAttributes, type AuditChange } from '../governance/audit';
import { nowIso, type ChangeContext } from './change-context';
import type { UserProfile } from './user-profile';
import { auditView, checkProfile, columnsOf, indexedValueRows, writeIndexedValues } from './user-rows';
import { laterThan } from './users';

/**
 * The identity layer's door for the Active Directory sync: reads the store the way the planner
 * needs it, and writes planned changes in batched transactions, each change audited as the sync.
 * AD-sourced users and memberships carry `source = 'ad'`; nothing here touches SCIM-sourced ones
 * except a soft match, which hands a user over to the sync.
 */
export interface StoredDirectoryUser {
  readonly id: string;
  readonly source: string;
  readonly anchor: string | null;
  readonly dn: string | null;
  readonly userName: string;
  readonly active: boolean;
  readonly profile: UserProfile;
}

export interface UserWrite {
  readonly action: 'create' | 'update' | 'deactivate' | 'reactivate' | 'delete';
  readonly anchor: string;
  readonly dn: string | null;
  readonly userId: string | null;
  readonly profile?: UserProfile;
  /** Resolved to the manager's user id when written (the manager may be created in the same run). */
  readonly managerAnchor?: string;
}

export interface WriteOutcome {
  readonly anchor: string;
  readonly userId: string | null;
  readonly error?: string;
}

export interface MembershipWrite {
  readonly roleName: string;
  readonly create: boolean;
  readonly addAnchors: readonly string[];
  readonly removeAnchors: readonly string[];
}

const BATCH = 200;
const CHUNK = 500;

export class DirectorySync {
  constructor(private readonly dataSource: DataSource) {}

  /** AD-sourced users; all of them, or those with the given anchors. */
  async adUsers(anchors?: readonly string[]): Promise<StoredDirectoryUser[]> {
    const repository = this.dataSource.getRepository(UserEntity);
    if (anchors === undefined) return (await repository.find({ where: { source: 'ad' } })).map(stored);
    const rows: UserEntity[] = [];
    for (const chunk of chunks(anchors)) rows.push(...await repository.find({ where: { source: 'ad', sourceAnchor: In(chunk) } }));
    return rows.map(stored);
  }

  /** Users not (yet) owned by the sync whose userName is one of these (soft-match candidates). */
  async unanchoredUsersByUserName(userNames: readonly string[]): Promise<StoredDirectoryUser[]> {
    const rows: UserEntity[] = [];
    for (const chunk of chunks(userNames.map((name) => name.toLowerCase()))) {
      rows.push(...await this.dataSource.getRepository(UserEntity).find({ where: { userNameKey: In(chunk), source: Not('ad') } }));
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

  async roleNames(): Promise<Set<string>> {
    const rows = await this.dataSource.getRepository(RoleEntity).find({ select: { displayNameKey: true } });
    return new Set(rows.map((row) => row.displayNameKey));
  }

  /** The AD-sourced members (by anchor) of each named role. */
  async adRoleMembers(roleNames: readonly string[]): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>(roleNames.map((name) => [name.toLowerCase(), new Set<string>()]));
    if (roleNames.length === 0) return result;
    const rows = await this.dataSource.createQueryBuilder()
      .select(['r.display_name_key AS role', 'u.source_anchor AS anchor'])
      .from(RoleMemberEntity, 'm')
      .innerJoin(RoleEntity, 'r', 'r.id = m.role_id')
      .innerJoin(UserEntity, 'u', 'u.id = m.user_id')
      .where("m.source = 'ad' AND r.display_name_key IN (:...names)", { names: roleNames.map((name) => name.toLowerCase()) })
      .getRawMany<{ role: string; anchor: string | null }>();
    for (const row of rows) if (row.anchor) result.get(row.role)?.add(row.anchor);
    return result;
  }

  /**
   * Writes user changes in batches, one transaction each. A batch that fails is retried one change
   * at a time, so one bad object fails alone and everything else lands.
   */
  async applyUsers(context: ChangeContext, writes: readonly UserWrite[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (let i = 0; i < writes.length; i += BATCH) {
      const batch = writes.slice(i, i + BATCH);
      try {
        outcomes.push(...await transaction(this.dataSource, (manager) => this.writeBatch(manager, context, batch)));
      } catch {
        for (const write of batch) {
          try {
            outcomes.push(...await transaction(this.dataSource, (manager) => this.writeBatch(manager, context, [write])));
          } catch (error) {
            outcomes.push({ anchor: write.anchor, userId: write.userId, error: describe(error) });
          }
        }
      }
    }
    // Managers are resolved last: a manager may be created in the same run, after their report.
    await this.resolveManagers(writes, outcomes);
    return outcomes;
  }

  /** Adds and removes the AD-sourced members of one role (creating the role when the plan says so). */
  async applyMembership(context: ChangeContext, write: MembershipWrite): Promise<{ added: number; removed: number }> {
    return transaction(this.dataSource, async (manager) => {
      let role = await manager.findOneBy(RoleEntity, { displayNameKey: write.roleName.toLowerCase() });
      if (!role && write.create) role = await createRole(manager, context, write.roleName);
      if (!role) throw invalidError(`Role "${write.roleName}" does not exist`);
      if (role.assignableTo === 'service' && write.addAnchors.length > 0) {
        throw invalidError(`"${role.displayName}" can only be held by service accounts, never by a person`);
      }
      const add = await idsOf(manager, write.addAnchors);
      const remove = await idsOf(manager, write.removeAnchors);
      const now = nowIso();
      let added = 0;
      for (const chunk of chunks(add)) {
        const existing = new Set((await manager.find(RoleMemberEntity, { where: { roleId: role.id, userId: In(chunk) } })).map((m) => m.userId));
        const fresh = chunk.filter((id) => !existing.has(id));
        if (fresh.length > 0) await manager.insert(RoleMemberEntity, fresh.map((userId) => ({ roleId: role.id, userId, source: 'ad', createdAt: now })));
        added += fresh.length;
      }
      let removed = 0;
      for (const chunk of chunks(remove)) {
        const result = await manager.delete(RoleMemberEntity, { roleId: role.id, userId: In(chunk), source: 'ad' });
        removed += result.affected ?? 0;
      }
      if (added + removed > 0) {
        await manager.update(RoleEntity, { id: role.id }, { version: role.version + 1, updatedAt: laterThan(role.updatedAt) });
        await manager.insert(AuditEventEntity, auditRow(context, 'role.update', 'Group', role.id, role.displayName,
          { added: add.length, removed: remove.length }));
      }
      return { added, removed };
    });
  }

  private async writeBatch(manager: EntityManager, context: ChangeContext, batch: readonly UserWrite[]): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    const audits: Partial<AuditEventEntity>[] = [];
    // Creates go in multi-row INSERTs: a first full run is almost nothing but creates.
    const creates = batch.filter((write) => write.action === 'create');
    const now = nowIso();
    const created = creates.map((write) => {
      const profile = checkProfile(required(write.profile, write));
      return { write, profile, row: {
        id: randomUUID(), ...columnsOf(profile), passwordHash: null, source: 'ad', sourceAnchor: write.anchor,
        sourceDn: write.dn, version: 1, createdAt: now, updatedAt: now,
      } };
    });
    for (const chunk of chunks(created, 100)) await manager.insert(UserEntity, chunk.map((c) => c.row));
    for (const chunk of chunks(created.flatMap((c) => indexedValueRows(c.row.id, c.profile)), 200)) {
      await manager.insert(UserValueEntity, chunk);
    }
    for (const { write, profile, row } of created) {
      outcomes.push({ anchor: write.anchor, userId: row.id });
      audits.push(auditRow(context, 'user.create', 'User', row.id, profile.userName, diffAttributes({}, auditView(profile, false))));
    }
    for (const write of batch) {
      if (write.action === 'create') continue;
      const outcome = await writeOne(manager, write);
      outcomes.push({ anchor: write.anchor, userId: outcome.userId });
      audits.push(auditRow(context, `user.${write.action}`, 'User', outcome.userId ?? write.anchor, outcome.userName, outcome.changes));
    }
    for (const chunk of chunks(audits)) await manager.insert(AuditEventEntity, chunk);
    return outcomes;
  }

  private async resolveManagers(writes: readonly UserWrite[], outcomes: readonly WriteOutcome[]): Promise<void> {
    const failed = new Set(outcomes.filter((o) => o.error).map((o) => o.anchor));
    const wanted = writes.filter((write) => write.managerAnchor !== undefined && write.profile && !failed.has(write.anchor));
    if (wanted.length === 0) return;
    const managerIds = new Map((await this.adUsers([...new Set(wanted.map((w) => w.managerAnchor as string))]))
      .map((user) => [user.anchor as string, user.id]));
    const userIds = new Map(outcomes.map((o) => [o.anchor, o.userId]));
    await transaction(this.dataSource, async (manager) => {
      for (const write of wanted) {
        const userId = userIds.get(write.anchor);
        const managerId = managerIds.get(write.managerAnchor as string);
        if (!userId || !managerId) continue;
        const row = await manager.findOneBy(UserEntity, { id: userId });
        if (!row || row.managerId === managerId) continue;
        const profile = JSON.parse(row.profile) as UserProfile;
        profile.enterprise = { ...profile.enterprise, manager: { value: managerId } };
        await manager.update(UserEntity, { id: userId }, { ...columnsOf(profile), updatedAt: laterThan(row.updatedAt) });
      }
    });
  }
}

interface WrittenUser {
  readonly userId: string | null;
  readonly userName: string;
  readonly changes: readonly AuditChange[];
}

/** Every change but a create (those are batched in writeBatch). */
async function writeOne(manager: EntityManager, write: UserWrite): Promise<WrittenUser> {
  const row = write.userId ? await manager.findOneBy(UserEntity, { id: write.userId }) : null;
  if (!row) throw invalidError(`User ${write.userId ?? write.anchor} is no longer in the store`);
  const before = JSON.parse(row.profile) as UserProfile;
  if (write.action === 'delete') {
    await manager.delete(UserEntity, { id: row.id });
    return { userId: row.id, userName: row.userName, changes: [] };
  }
  const profile = checkProfile(write.action === 'deactivate' ? { ...before, active: false } : required(write.profile, write));
  // Keep a manager the sync resolved earlier until resolveManagers sees the current one.
  if (write.managerAnchor !== undefined && before.enterprise?.manager && profile.enterprise) {
    profile.enterprise = { ...profile.enterprise, manager: before.enterprise.manager };
  }
  await manager.update(UserEntity, { id: row.id }, {
    ...columnsOf(profile), source: 'ad', sourceAnchor: write.anchor, ...(write.dn ? { sourceDn: write.dn } : {}),
    version: row.version + 1, updatedAt: laterThan(row.updatedAt),
  });
  await manager.delete(UserValueEntity, { userId: row.id });
  await writeIndexedValues(manager, row.id, profile);
  return { userId: row.id, userName: profile.userName, changes: diffAttributes(auditView(before, false), auditView(profile, false)) };
}

async function createRole(manager: EntityManager, context: ChangeContext, name: string): Promise<RoleEntity> {
  const now = nowIso();
  const role = Object.assign(new RoleEntity(), {
    id: randomUUID(), displayName: name, displayNameKey: name.toLowerCase(), description: 'Imported from Active Directory',
    kind: 'custom', assignableTo: 'any', risk: 'normal', permissions: '[]', externalId: null, source: 'ad',
    sourceAnchor: null, version: 1, createdAt: now, updatedAt: now,
  });
  await manager.insert(RoleEntity, role);
  await manager.insert(AuditEventEntity, auditRow(context, 'role.create', 'Group', role.id, name, { source: 'ad' }));
  return role;
}

async function idsOf(manager: EntityManager, anchors: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const chunk of chunks([...new Set(anchors)])) {
    ids.push(...(await manager.find(UserEntity, { where: { source: 'ad', sourceAnchor: In(chunk) }, select: { id: true } })).map((u) => u.id));
  }
  return ids;
}

function auditRow(
  context: ChangeContext, action: string, targetType: string, targetId: string, targetName: string | null,
  changes: unknown,
): Partial<AuditEventEntity> {
  return {
    occurredAt: nowIso(), actorType: context.actor.type, actorId: context.actor.id, actorName: context.actor.name,
    door: context.door, action, targetType, targetId, targetName: targetName?.slice(0, 255) ?? null,
    changes: JSON.stringify(changes), requestId: context.requestId ?? null,
  };
}

function stored(row: UserEntity): StoredDirectoryUser {
  return {
    id: row.id, source: row.source, anchor: row.sourceAnchor, dn: row.sourceDn, userName: row.userName,
    active: row.active, profile: JSON.parse(row.profile) as UserProfile,
  };
}

function required(profile: UserProfile | undefined, write: UserWrite): UserProfile {
  if (!profile) throw invalidError(`The plan gave no profile to ${write.action} ${write.anchor}`);
  return profile;
}

function describe(error: unknown): string {
  const { code, driverError } = (error ?? {}) as { code?: unknown; driverError?: { code?: unknown } };
  if ([code, driverError?.code].some((c) => c === 'ER_DUP_ENTRY' || c === 'SQLITE_CONSTRAINT_UNIQUE')) {
    return 'userName is already taken by another user (a SCIM-provisioned one? consider SYNC_SOFT_MATCH=true)';
  }
  return error instanceof Error ? error.message : String(error);
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
