import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { allows, isPermissionGrant } from '../auth/permissions';
import { RoleEntity, RoleMemberEntity, UserEntity } from '../db/entities';
import { insertRows } from '../db/insert-rows';
import { deferStatement, readTogether, type Statement } from '../db/statement-batch';
import { transaction } from '../db/transaction';
import {
  conflictError, forbiddenError, invalidError, mutabilityError, notFoundError,
} from '../errors';
import { diffAttributes, recordAudit, recordAudits, type AuditChange, type AuditRecord } from '../governance/audit';
import { findPendingRequest, raiseChangeRequest } from '../governance/change-request-store';
import { assertPermitted, nowIso, sourceOf, type ChangeContext } from './change-context';
import {
  approvalPath, assertManagesRole, assertManagesUsers, governedGrantReason, isGoverned,
} from './grant-rules';
import { SqlConditionBuilder } from './condition-sql';
import type { ListQuery, ListResult } from './query';
import { heldRolesByUser, heldRolesRead } from './held-roles';
import { listPage } from './list-page';
import { ROLE_FIELDS, ROLE_SORTS } from './role-fields';
import {
  ASSIGNABILITIES, MANAGES_MODES, RISKS,
  type Assignability, type MemberChange, type RoleDefinition, type RoleInput, type RoleMember, type RoleRecord, type RoleReference,
} from './role-model';
import { isForeignKeyViolation, isUniqueViolation } from './constraint-violation';
import { CONTROL_CHARACTERS } from './user-rows';
import { roleNameKey } from './role-name';
import { laterThan } from './user-writes';
import { lockedRole, lockRole, lockRoleRead, writeRole } from './role-rows';
import { resolveAnchoredMembers, type AnchoredMembers } from './directory-members';
import { assertVersion, type WriteOptions } from './users';

/** Ids per IN (…) list: well under every driver's bound-parameter limit. */
const CHUNK = 500;
/** A membership row, as addMembers inserts it (plain SQL: src/db/insert-rows.ts). */
const MEMBER_COLUMNS = ['role_id', 'user_id', 'source', 'created_at'] as const;

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
    const row = await this.dataSource.getRepository(RoleEntity).findOneBy({ displayNameKey: roleNameKey(name) });
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
  async rolesOfUsers(userIds: readonly string[]): Promise<Map<string, RoleReference[]>> {
    const rows: unknown[] = [];
    for (const ids of chunks(userIds)) {
      const read = heldRolesRead(ids);
      rows.push(...await this.dataSource.query(read.sql, [...read.parameters]) as unknown[]);
    }
    return heldRolesByUser(userIds, rows);
  }

  /**
   * A custom role: whoever creates a Group over SCIM creates a role with no permissions. The sync
   * creates roles from Active Directory groups, linked to the group by its objectGUID (`anchor`).
   */
  async create(
    context: ChangeContext, input: RoleInput, memberIds: readonly string[] = [], options: { anchor?: string } = {},
  ): Promise<RoleRecord> {
    return (await this.createRole(context, input, memberIds, options)).record;
  }

  async update(context: ChangeContext, id: string, update: RoleUpdate, options: WriteOptions = {}): Promise<RoleRecord> {
    return (await this.change(context, id, update, options)).record;
  }

  async delete(context: ChangeContext, id: string, options: WriteOptions = {}): Promise<void> {
    assertMayWriteRoles(context);
    await this.write('', async (manager) => {
      const current = await lockRole(manager, id);
      if (!current) throw notFoundError(`Group ${id} not found`);
      if (current.kind === 'system') throw forbiddenError(`"${current.displayName}" is a system role and cannot be deleted`);
      assertVersion(current.version, options.expectedVersion);
      assertAttributesWritable(context, current, ['the role itself']);
      await deferStatement(manager, 'DELETE FROM role_members WHERE role_id = ?', [id]);
      // A service account holding the role refuses this by foreign key, at the latest at COMMIT (→ 409 in write()).
      await deferStatement(manager, 'DELETE FROM roles WHERE id = ?', [id]);
      await recordAudit(manager, context, {
        action: 'role.delete', targetType: 'Group', targetId: id, targetName: current.displayName,
      });
    });
  }

  /**
   * A role's attributes, its definition included (permissions, risk, who may hold it, managed
   * roles), changed in the caller's transaction through the same locked, versioned, audited update
   * as every other door's: src/identity/role-definitions.ts applies a change of definition now or
   * on approval, after checking the rules of definitions. Returns the role's row as written.
   */
  async redefine(
    manager: EntityManager, context: ChangeContext, id: string, attributes: (current: RoleRecord) => RoleInput, options: WriteOptions = {},
  ): Promise<RoleEntity> {
    return (await this.changeIn(manager, context, id, { attributes }, options)).row;
  }

  /**
   * The directory sync's door to a role: the role an AD group grants (found by the group's
   * objectGUID when the role was made from it, else by name; created when the plan says so), renamed
   * with its group, and its AD-sourced membership changed, through the same locked update as SCIM's.
   * Returns what was written, by user id: the sync reports that, not what it planned.
   */
  async applyDirectoryGroup(context: ChangeContext, group: DirectoryGroupChange): Promise<DirectoryGroupWritten> {
    if (context.door !== 'sync') throw forbiddenError('Only the directory sync applies directory groups');
    assertPermitted(context, 'groups:write');
    const repository = this.dataSource.getRepository(RoleEntity);
    let role = group.anchor === undefined ? null : await repository.findOneBy({ source: 'ad', sourceAnchor: group.anchor });
    role ??= await repository.findOneBy({ displayNameKey: roleNameKey(group.name) });
    const members = { add: group.addAnchors, remove: group.removeAnchors };
    if (!role) {
      if (!group.create) throw invalidError(`Role "${group.name}" does not exist`);
      const created = await this.createRole(context, { displayName: group.name, description: 'Imported from Active Directory' },
        [], { ...(group.anchor === undefined ? {} : { anchor: group.anchor }), anchored: members });
      return { roleId: created.record.id, ...created.members, anchorOf: created.anchorOf };
    }
    // A role made from this group follows its name; a role an administrator named in the mapping keeps its own.
    const linked = group.anchor !== undefined && role.source === 'ad' && (role.sourceAnchor ?? group.anchor) === group.anchor;
    const rename = linked && role.displayName !== group.name;
    const changed = await this.change(context, role.id, {
      ...(rename ? { attributes: (current: RoleRecord) => ({ displayName: group.name, ...(current.externalId ? { externalId: current.externalId } : {}) }) } : {}),
    }, { ...(linked && role.sourceAnchor === null ? { link: group.anchor } : {}), anchored: members });
    return { roleId: role.id, ...changed.members, anchorOf: changed.anchorOf };
  }

  private async createRole(
    context: ChangeContext, input: RoleInput, memberIds: readonly string[], options: { anchor?: string; anchored?: AnchoredMembers },
  ): Promise<{ record: RoleRecord; members: MembershipWritten; anchorOf: ReadonlyMap<string, string> }> {
    // A role that grants something is defined with roles:manage; SCIM's plain Groups need groups:write.
    assertPermitted(context, input.definition === undefined ? 'groups:write' : 'roles:manage');
    if (memberIds.length > 0 || (options.anchored?.add.length ?? 0) > 0) assertPermitted(context, 'roles:assign');
    checkInput(input);
    if (options.anchor !== undefined && context.door !== 'sync') throw invalidError('Only the directory sync links roles to directory groups');
    const now = nowIso();
    const row: RoleEntity = Object.assign(new RoleEntity(), {
      id: randomUUID(),
      displayName: input.displayName,
      displayNameKey: roleNameKey(input.displayName),
      description: input.description ?? null,
      kind: 'custom',
      ...definitionColumns({
        assignableTo: 'any', risk: 'normal', permissions: [],
        ...(input.definition?.managedRoles === undefined ? { manages: 'none' } : {}), ...input.definition,
      }),
      externalId: input.externalId ?? null,
      source: sourceOf(context),
      sourceAnchor: options.anchor ?? null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    let members: MembershipWritten = noMembersWritten();
    let anchorOf: ReadonlyMap<string, string> = new Map();
    await this.write(input.displayName, async (manager) => {
      await assertNameFree(manager, input.displayName, null);
      await manager.insert(RoleEntity, row);
      const resolved = options.anchored && await resolveAnchoredMembers(manager, row.id, options.anchored);
      anchorOf = resolved?.anchorOf ?? new Map();
      members = await applyMemberChanges(manager, context, row, resolved?.changes ?? [{ kind: 'add', ids: memberIds }], resolved?.joining);
      await recordAudits(manager, context, auditRecords(context, 'role.create', row, diffAttributes({}, attributeView(row)), members));
    });
    return { record: toRoleRecord(row), members, anchorOf };
  }

  /**
   * One user's roles changed in one transaction: roles added and withdrawn (by id), each through the
   * same locked update as every other membership change, so every rule holds. The caller owns the
   * transaction (an admin request, a CLI grant, or an approval that applies a change request).
   * Returns the roles actually granted and withdrawn.
   */
  async editUserRoles(
    manager: EntityManager, context: ChangeContext, userId: string, edit: { add: readonly string[]; remove: readonly string[] },
  ): Promise<{ added: RoleEntity[]; removed: RoleEntity[] }> {
    assertPermitted(context, 'roles:assign');
    const added: RoleEntity[] = [];
    const removed: RoleEntity[] = [];
    // Roles in id order: two edits touching the same roles lock them in the same order.
    const ids = [...new Set([...edit.add, ...edit.remove])].sort();
    for (const roleId of ids) {
      const adding = edit.add.includes(roleId);
      const { row, members } = await this.changeIn(manager, context, roleId, {
        memberChanges: [{ kind: adding ? 'add' : 'remove', ids: [userId] }],
      }, {});
      if (members.added.length > 0) added.push(row);
      if (members.removed.length > 0) removed.push(row);
    }
    return { added, removed };
  }

  /** The one update of a role: attributes and membership, on the locked row, one version bump, audited by id. */
  private async change(
    context: ChangeContext, id: string, update: RoleUpdate, options: ChangeOptions,
  ): Promise<{ record: RoleRecord; members: MembershipWritten; anchorOf: ReadonlyMap<string, string> }> {
    let name = '';
    let outcome: ChangedRole | undefined;
    await this.write(() => name, async (manager) => {
      outcome = await this.changeIn(manager, context, id, update, options, (changed) => {
        name = changed;
      });
    });
    if (!outcome) throw new Error('the role update ended without an outcome');
    return { record: toRoleRecord(outcome.row), members: outcome.members, anchorOf: outcome.anchorOf };
  }

  private async changeIn(
    manager: EntityManager, context: ChangeContext, id: string, update: RoleUpdate, options: ChangeOptions,
    naming: (name: string) => void = () => undefined,
  ): Promise<ChangedRole> {
    if (update.attributes !== undefined) assertMayWriteRoles(context);
    if ((update.memberChanges ?? []).length > 0 || options.anchored !== undefined) assertPermitted(context, 'roles:assign');
    // What the first membership change reads, read with the role's lock in the same round trip (the
    // server reads it once the lock is held, and nothing has changed the role's membership before it).
    // Members named by anchor are resolved, with what they hold, once the lock is held.
    const firstRead = options.anchored === undefined ? firstMembershipRead(id, update.memberChanges ?? []) : undefined;
    const [roleRows = [], firstRows] = await readTogether(manager, [lockRoleRead(manager, id), ...(firstRead ? [firstRead] : [])]);
    const current = lockedRole(roleRows);
    if (!current) throw notFoundError(`Group ${id} not found`);
    assertVersion(current.version, options.expectedVersion);
    const before = attributeView(current);
    const attributes = typeof update.attributes === 'function' ? update.attributes(toRoleRecord(current)) : update.attributes;
    if (attributes) {
      if (attributes.definition !== undefined) assertPermitted(context, 'roles:manage');
      checkInput(attributes);
      naming(attributes.displayName);
      const next = { ...current, ...attributesOf(attributes) };
      // An identity provider that found this role by a name that reads the same ("auditor" for
      // "Auditor") sends that spelling back with every update: where this door may not rename the
      // role, the same name as it reads is no change, so the update's members still apply.
      if (next.displayNameKey === current.displayNameKey && !mayChangeAttributes(context, current)) {
        next.displayName = current.displayName;
      }
      const changed = diffAttributes(before, attributeView(next));
      if (changed.length > 0) assertAttributesWritable(context, current, changed.map((c) => c.attribute));
      if (next.displayNameKey !== current.displayNameKey) await assertNameFree(manager, next.displayName, id);
      Object.assign(current, next);
    }
    const resolved = options.anchored && await resolveAnchoredMembers(manager, id, options.anchored);
    const changes = resolved?.changes ?? update.memberChanges ?? [];
    const members = await applyMemberChanges(manager, context, current, changes, resolved?.joining ?? (firstRows && membershipsOf(firstRows)));
    const anchorOf = resolved?.anchorOf ?? new Map<string, string>();
    const attributeChanges = diffAttributes(before, attributeView(current));
    if (options.link !== undefined) current.sourceAnchor = options.link;
    if (attributeChanges.length === 0 && !hasMemberChanges(members) && options.link === undefined) return { row: current, members, anchorOf };
    current.version += 1;
    current.updatedAt = laterThan(current.updatedAt);
    await writeRole(manager, current);
    await recordAudits(manager, context, auditRecords(context, 'role.update', current, attributeChanges, members));
    return { row: current, members, anchorOf };
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

/** What the sync asks of the role an Active Directory group grants. */
export interface DirectoryGroupChange {
  /** The role's name: the mapping's role name, or the group's name for a role made from the group. */
  readonly name: string;
  /** The group's objectGUID, for a role made from the group (a `groupsUnder` rule). */
  readonly anchor?: string;
  /** Create the role when it does not exist. */
  readonly create: boolean;
  /** Users (by objectGUID) to hold the role through Active Directory; an anchor no AD user holds is left out. */
  readonly addAnchors: readonly string[];
  /** Users (by objectGUID) no longer to hold it through Active Directory. */
  readonly removeAnchors: readonly string[];
}

/** What applyDirectoryGroup wrote, by user id, and the anchor of each user it names. */
export interface DirectoryGroupWritten extends MembershipWritten {
  readonly roleId: string;
  readonly anchorOf: ReadonlyMap<string, string>;
}

/** How a role is changed: a version to match, and for the sync a group to link and members by anchor. */
type ChangeOptions = WriteOptions & { link?: string; anchored?: AnchoredMembers };

/** A role as changed in its transaction; anchorOf names the members changed by anchor (the sync's). */
interface ChangedRole {
  readonly row: RoleEntity;
  readonly members: MembershipWritten;
  readonly anchorOf: ReadonlyMap<string, string>;
}

/** Membership changes as written, by user id. */
export interface MembershipWritten {
  readonly added: string[];
  readonly removed: string[];
  /** Memberships another door had granted that Active Directory now grants too: AD's from now on. */
  readonly adopted: string[];
  /**
   * The sync only: grants Active Directory asks for that are governed (a high-risk role, or one
   * carrying permissions Batch sync lacks). Not written: each waits in a change request for a
   * person to approve, and the run reports it.
   */
  readonly held: HeldGrant[];
}

/** A governed grant the sync did not write, and the change request that waits for approval. */
export interface HeldGrant {
  readonly userId: string;
  readonly changeRequestId: string;
  readonly reason: string;
}

const noMembersWritten = (): MembershipWritten => ({ added: [], removed: [], adopted: [], held: [] });

const hasMemberChanges = (members: MembershipWritten): boolean =>
  members.added.length + members.removed.length + members.adopted.length > 0;

/**
 * System roles are immutable; a role made from an Active Directory group is AD's to rename or
 * delete (SCIM renaming it would leave the sync unable to find it, deleting it would wipe the
 * memberships AD grants).
 */
function mayChangeAttributes(context: ChangeContext, role: RoleEntity): boolean {
  return role.kind !== 'system' && (role.source !== 'ad' || context.door === 'sync');
}

function assertAttributesWritable(context: ChangeContext, role: RoleEntity, attributes: readonly string[]): void {
  if (role.kind === 'system') {
    throw mutabilityError(`"${role.displayName}" is a system role: its ${attributes.join(', ')} cannot be changed (its membership can)`);
  }
  if (role.source === 'ad' && context.door !== 'sync') {
    throw mutabilityError(`"${role.displayName}" is made from an Active Directory group: ${attributes.join(', ')} `
      + 'cannot be changed here; change the group in Active Directory (its memberships granted here can be managed)');
  }
}

/**
 * Applies membership changes in order; returns the ids actually added, removed and adopted. A
 * membership is one row with one source of authority: what Active Directory grants is AD's, and
 * only the sync removes it; another door replaces or removes only what it granted.
 */
async function applyMemberChanges(
  manager: EntityManager,
  context: ChangeContext,
  role: RoleEntity,
  changes: readonly MemberChange[],
  /** What the first change reads (firstMembershipRead), when read already. */
  readFirst?: ReadonlyMap<string, string | null>,
): Promise<MembershipWritten> {
  const written = noMembersWritten();
  const source = sourceOf(context);
  const withdraw = async (present: readonly string[]): Promise<void> => {
    assertManagesRole(context, role, 'withdraw');
    await assertManagesUsers(manager, context, present);
  };
  for (const [index, change] of changes.entries()) {
    // Read before any removal: a replace removes only users outside its list, so these rows stay as read.
    const read = index === 0 ? readFirst : undefined;
    const joining = change.kind !== 'add' && change.kind !== 'replace' ? undefined
      : mayJoin(role, change.ids, read ?? await readInChunks(manager, change.ids, (chunk) => joiningRead(role.id, chunk)));
    if (change.kind === 'remove') {
      const held = read ?? await readInChunks(manager, change.ids, (chunk) => membersRead(role.id, chunk));
      if (source !== 'ad') assertNotSyncManaged(role, held);
      // The sync removes only what Active Directory grants; another door, anything (none of it AD's, as checked).
      const present = [...held].filter(([, from]) => source !== 'ad' || from === 'ad').map(([userId]) => userId);
      written.removed.push(...await removeMembers(manager, role.id, present, withdraw));
    } else if (change.kind === 'removeAll' || change.kind === 'replace') {
      const owned = await manager.find(RoleMemberEntity, { where: { roleId: role.id, source }, select: { userId: true } });
      const keep = new Set(change.kind === 'replace' ? change.ids : []);
      written.removed.push(...await removeMembers(manager, role.id, owned.map((m) => m.userId).filter((id) => !keep.has(id)), withdraw));
    }
    if (joining !== undefined) {
      const { added, adopted, held } = await addMembers(manager, role.id, joining, source, (fresh) => grantable(manager, context, role, fresh));
      written.added.push(...added);
      written.adopted.push(...adopted);
      written.held.push(...held);
    }
  }
  return written;
}

/**
 * The rules of granting a role to users who do not hold it yet (holding it already is no grant: an
 * identity provider's PUT that repeats the members changes nothing). The role must be among those
 * the actor manages, and so must the users; a governed grant (src/identity/grant-rules.ts) is
 * refused with the approval path, except that the sync, which cannot ask, holds it back in a change
 * request for a person to approve. Returns the users to write now and the grants held back.
 */
async function grantable(
  manager: EntityManager, context: ChangeContext, role: RoleEntity, fresh: readonly string[],
): Promise<{ grant: readonly string[]; held: HeldGrant[] }> {
  assertManagesRole(context, role, 'assign');
  await assertManagesUsers(manager, context, fresh);
  const reason = isGoverned(context) ? governedGrantReason(context.actor, role) : undefined;
  if (reason === undefined) return { grant: fresh, held: [] };
  if (context.door !== 'sync') {
    throw forbiddenError(`Granting "${role.displayName}" needs a second person's approval (${reason}): `
      + `${approvalPath(context, fresh[0] ?? '{id}')}`);
  }
  const held: HeldGrant[] = [];
  for (const userId of fresh) {
    const payload = { userId, add: [role.id], remove: [], door: 'sync' };
    const target = { type: 'User', id: userId };
    const request = await findPendingRequest(manager, 'role-assignment', target, payload)
      ?? await raiseChangeRequest(manager, context, {
        kind: 'role-assignment', summary: `Active Directory grants "${role.displayName}" to user ${userId}`,
        target, payload, expiryDays: HELD_GRANT_EXPIRY_DAYS,
      });
    held.push({ userId, changeRequestId: request.id, reason });
  }
  return { grant: [], held };
}

/** How long a grant the sync held back waits for approval; the next run asks again once it expires. */
const HELD_GRANT_EXPIRY_DAYS = 7;

/**
 * The read the first of these changes needs, when its users fit one statement: for an add, the
 * joining users with their memberships (joiningRead); for a remove, the memberships they hold
 * (membersRead). Both come back as membershipsOf reads them.
 */
function firstMembershipRead(roleId: string, changes: readonly MemberChange[]): Statement | undefined {
  const first = changes[0];
  if (first === undefined || first.kind === 'removeAll') return undefined;
  const unique = [...new Set(first.ids)];
  if (unique.length === 0 || unique.length > CHUNK) return undefined;
  return first.kind === 'remove' ? membersRead(roleId, unique) : joiningRead(roleId, unique);
}

/** The read of the memberships these users hold in a role, with their sources. At most CHUNK ids. */
function membersRead(roleId: string, ids: readonly string[]): Statement {
  return {
    sql: `SELECT user_id AS id, source FROM role_members WHERE role_id = ? AND user_id IN (${placeholders(ids)})`,
    parameters: [roleId, ...ids],
  };
}


/**
 * The read of users about to join a role, each with the source of the membership it holds already
 * (null: none). At most CHUNK ids.
 */
function joiningRead(roleId: string, ids: readonly string[]): Statement {
  return {
    sql: 'SELECT u.id, m.source FROM users u LEFT JOIN role_members m ON m.role_id = ? AND m.user_id = u.id '
      + `WHERE u.id IN (${placeholders(ids)})`,
    parameters: [roleId, ...ids],
  };
}

/** The rows of joiningRead or membersRead: user id → the source of the membership held (null: none). */
function membershipsOf(rows: readonly unknown[]): Map<string, string | null> {
  return new Map((rows as { id: string; source: string | null }[])
    .map((row) => [String(row.id), row.source === null ? null : String(row.source)]));
}

/** A read of at most CHUNK users (joiningRead, membersRead) over any number of them, a chunk per statement. */
async function readInChunks(
  manager: EntityManager, ids: readonly string[], read: (chunk: readonly string[]) => Statement,
): Promise<Map<string, string | null>> {
  const held = new Map<string, string | null>();
  for (const chunk of chunks([...new Set(ids)])) {
    const { sql, parameters } = read(chunk);
    for (const [id, source] of membershipsOf(await manager.query(sql, [...parameters]) as unknown[])) held.set(id, source);
  }
  return held;
}

/**
 * The users joining (`ids`, with `held` as joiningRead found them), once the rules allow them:
 * every id names a user, and the role is not for service accounts only.
 */
function mayJoin(role: RoleEntity, ids: readonly string[], held: ReadonlyMap<string, string | null>): ReadonlyMap<string, string | null> {
  const unique = [...new Set(ids)];
  const missing = unique.filter((id) => !held.has(id));
  if (missing.length > 0) {
    throw invalidError(`Cannot add to "${role.displayName}": no user with id ${missing.slice(0, 5).join(', ')}`
      + `${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  }
  if (unique.length > 0 && (role.assignableTo as Assignability) === 'service') {
    throw invalidError(`"${role.displayName}" can only be held by service accounts, never by a person: `
      + `user ${unique[0]} cannot be a member`);
  }
  return held;
}

/** Refuses a removal that would take away a membership Active Directory grants (`held`: membersRead's). */
function assertNotSyncManaged(role: RoleEntity, held: ReadonlyMap<string, string | null>): void {
  const managed = [...held].find(([, source]) => source === 'ad');
  if (managed) {
    throw mutabilityError(`The membership of user ${managed[0]} in "${role.displayName}" is managed by Active `
      + 'Directory sync; change it in Active Directory');
  }
}

/**
 * Adds members with this source to the users `joining` maps to the membership they hold now. A user
 * already holding the role keeps the one row; when Active Directory grants what another door
 * granted, the row becomes AD's (adopted), so the sync sees it and SCIM can no longer take away
 * what AD grants.
 */
async function addMembers(
  manager: EntityManager, roleId: string, joining: ReadonlyMap<string, string | null>, source: string,
  mayGrant: (fresh: readonly string[]) => Promise<{ grant: readonly string[]; held: HeldGrant[] }>,
): Promise<{ added: string[]; adopted: string[]; held: HeldGrant[] }> {
  const added: string[] = [];
  const adopted: string[] = [];
  const held: HeldGrant[] = [];
  // In id order: each new row's foreign key visits its user's row, and ids (version 7, time-ordered)
  // sort as the users table's key does, so the visits walk the table's pages in order instead of at
  // random (a role of 100,000 members, the users table larger than the buffer pool: docs/benchmarks.md).
  for (const chunk of chunks([...joining.keys()].sort())) {
    const candidates = chunk.filter((id) => joining.get(id) === null);
    const allowed = candidates.length === 0 ? { grant: [], held: [] } : await mayGrant(candidates);
    held.push(...allowed.held);
    const fresh = allowed.grant;
    if (fresh.length > 0) {
      const createdAt = nowIso();
      await insertRows(manager, 'role_members', MEMBER_COLUMNS, fresh.map((userId) => [roleId, userId, source, createdAt]), CHUNK);
      added.push(...fresh);
    }
    const taken = source === 'ad' ? chunk.filter((id) => (joining.get(id) ?? 'ad') !== 'ad') : [];
    if (taken.length > 0) {
      await deferStatement(manager, `UPDATE role_members SET source = 'ad' WHERE role_id = ? AND user_id IN (${placeholders(taken)})`,
        [roleId, ...taken]);
      adopted.push(...taken);
    }
  }
  return { added, adopted, held };
}

/**
 * Removes these members (present ones, as read under the role's lock in this transaction), once
 * `mayWithdraw` allows them; returns them.
 */
async function removeMembers(
  manager: EntityManager, roleId: string, present: readonly string[],
  mayWithdraw: (present: readonly string[]) => Promise<void>,
): Promise<string[]> {
  for (const chunk of chunks(present)) {
    await mayWithdraw(chunk);
    await deferStatement(manager, `DELETE FROM role_members WHERE role_id = ? AND user_id IN (${placeholders(chunk)})`, [roleId, ...chunk]);
  }
  return [...present];
}

/** Ids per audit row: a membership change of 100,000 users is audited in parts that fit the `changes` column. */
const AUDITED_IDS_PER_ROW = 1_000;

/**
 * The audit records of a role write: attribute changes and the member ids added, removed and
 * adopted. Large membership changes take several records, each marked with its part.
 */
function auditRecords(
  context: ChangeContext, action: string, role: RoleEntity, attributes: AuditChange[], members: MembershipWritten,
): AuditRecord[] {
  const lists = (['added', 'removed', 'adopted'] as const).flatMap((kind) => members[kind].map((id) => [kind, id] as const));
  const parts = Math.max(1, Math.ceil(lists.length / AUDITED_IDS_PER_ROW));
  return Array.from({ length: parts }, (_, part) => {
    const slice = lists.slice(part * AUDITED_IDS_PER_ROW, (part + 1) * AUDITED_IDS_PER_ROW);
    const ids = (kind: keyof MembershipWritten): string[] => slice.filter(([k]) => k === kind).map(([, id]) => id);
    const adopted = ids('adopted');
    return {
      action, targetType: 'Group', targetId: role.id, targetName: role.displayName,
      changes: {
        ...(part === 0 ? { attributes } : {}), added: ids('added'), removed: ids('removed'),
        ...(adopted.length > 0 ? { adopted } : {}), ...(parts > 1 ? { part: part + 1, parts } : {}),
        ...(context.approval ? { approval: context.approval } : {}),
        ...(context.approvalWaived ? { approvalWaived: 'APPROVAL_MODE=none' } : {}),
      },
    };
  });
}

async function assertNameFree(manager: EntityManager, name: string, ownId: string | null): Promise<void> {
  const holder = await manager.findOne(RoleEntity, { where: { displayNameKey: roleNameKey(name) }, select: { id: true, displayName: true } });
  if (holder && holder.id !== ownId) {
    throw conflictError(holder.displayName === name
      ? `A group named "${name}" already exists`
      : `"${name}" reads as the existing group "${holder.displayName}"; choose a name that cannot be mistaken for it`);
  }
}

/** The attributes of a role as written (400 for anything wrong), before any row is read. */
export function checkInput(input: RoleInput): void {
  if (typeof input.displayName !== 'string' || input.displayName.trim() === '') {
    throw invalidError('displayName is required and must not be empty');
  }
  if (input.displayName.length > 255) throw invalidError('displayName is longer than 255 characters');
  if (CONTROL_CHARACTERS.test(input.displayName)) throw invalidError('displayName must not contain control characters');
  const key = roleNameKey(input.displayName);
  if (key === '') throw invalidError('displayName must contain visible characters');
  if (key.length > 255) throw invalidError('displayName is longer than 255 characters once normalised');
  if (input.externalId !== undefined && input.externalId.length > 255) throw invalidError('externalId is longer than 255 characters');
  if (input.description !== undefined && input.description.length > MAX_DESCRIPTION) {
    throw invalidError(`description is longer than ${MAX_DESCRIPTION} characters`);
  }
  if (input.definition !== undefined) checkDefinition(input.definition);
}

const MAX_DESCRIPTION = 4000;
/** Managed roles one role may list: far more than any real delegation, few enough to check in one query. */
export const MAX_MANAGED_ROLES = 500;

/**
 * The shape of a role definition (the values, not who may set them or whether the roles listed
 * exist: src/identity/role-definitions.ts checks those). Each refusal is a 400 naming the field.
 */
export function checkDefinition(definition: Partial<RoleDefinition>): void {
  const { permissions, risk, assignableTo, manages, managedRoles } = definition;
  if (permissions !== undefined) {
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string')) {
      throw invalidError('permissions must be an array of permission names');
    }
    const unknown = permissions.filter((p) => !isPermissionGrant(p));
    if (unknown.length > 0) {
      throw invalidError(`Unknown permission(s) ${unknown.slice(0, 5).map((p) => `"${p}"`).join(', ')}; `
        + 'the catalogue is in src/auth/permissions.ts (GET /admin/api/roles shows the ones roles hold)');
    }
  }
  oneOf('risk', risk, RISKS);
  oneOf('assignableTo', assignableTo, ASSIGNABILITIES);
  oneOf('manages', manages, MANAGES_MODES);
  if (managedRoles !== undefined) {
    if (!Array.isArray(managedRoles) || !managedRoles.every((id) => typeof id === 'string' && id !== '')) {
      throw invalidError('managedRoles must be an array of role ids');
    }
    if (managedRoles.length > MAX_MANAGED_ROLES) throw invalidError(`managedRoles lists more than ${MAX_MANAGED_ROLES} roles`);
    if (managedRoles.length > 0 && manages !== undefined && manages !== 'selected') {
      throw invalidError(`managedRoles lists roles, so manages must be "selected", not "${manages}"`);
    }
  }
}

function oneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw invalidError(`${field} must be one of ${allowed.join(', ')}`);
  }
}

/**
 * The definition's columns as stored: permissions and managed roles sorted without repeats (so
 * that the same set reads the same in the audit), managed roles only when `manages` is selected.
 * Managed roles without `manages` mean selected.
 */
function definitionColumns(
  definition: Partial<RoleDefinition>,
): Partial<Pick<RoleEntity, 'permissions' | 'risk' | 'assignableTo' | 'manages' | 'managedRoles'>> {
  const manages = definition.manages ?? (definition.managedRoles === undefined ? undefined : 'selected');
  return {
    ...(definition.permissions === undefined ? {} : { permissions: JSON.stringify([...new Set(definition.permissions)].sort()) }),
    ...(definition.risk === undefined ? {} : { risk: definition.risk }),
    ...(definition.assignableTo === undefined ? {} : { assignableTo: definition.assignableTo }),
    ...(manages === undefined ? {} : {
      manages,
      managedRoles: manages === 'selected' ? JSON.stringify([...new Set(definition.managedRoles ?? [])].sort()) : null,
    }),
  };
}

/**
 * Writing a role's attributes, or deleting it: SCIM's groups:write, or the admin API's roles:manage
 * (whoever defines roles may rename and delete them). Refused naming the permission of the door.
 */
function assertMayWriteRoles(context: ChangeContext): void {
  if (allows(context.actor.permissions, 'groups:write') || allows(context.actor.permissions, 'roles:manage')) return;
  assertPermitted(context, context.door === 'admin' || context.door === 'console' ? 'roles:manage' : 'groups:write');
}

function attributesOf(
  input: RoleInput,
): Pick<RoleEntity, 'displayName' | 'displayNameKey' | 'externalId'> & { description?: string } & ReturnType<typeof definitionColumns> {
  return {
    ...(input.definition === undefined ? {} : definitionColumns(input.definition)),
    displayName: input.displayName,
    displayNameKey: roleNameKey(input.displayName),
    externalId: input.externalId ?? null,
    // SCIM Groups carry no description: a PUT leaves the role's description alone.
    ...(input.description === undefined ? {} : { description: input.description }),
  };
}

function attributeView(
  row: Pick<RoleEntity, 'displayName' | 'externalId' | 'description' | 'permissions' | 'risk' | 'assignableTo' | 'manages' | 'managedRoles'>,
): Record<string, unknown> {
  return {
    displayName: row.displayName,
    ...(row.externalId === null ? {} : { externalId: row.externalId }),
    ...(row.description === null ? {} : { description: row.description }),
    permissions: JSON.parse(row.permissions) as unknown,
    risk: row.risk,
    assignableTo: row.assignableTo,
    manages: row.manages,
    ...(row.managedRoles === null ? {} : { managedRoles: JSON.parse(row.managedRoles) as unknown }),
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

/** `?, ?, …`, one for each value. */
function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
