import { In, type DataSource, type EntityManager } from 'typeorm';
import type { GovernanceConfig } from '../config';
import { RoleEntity, RoleMemberEntity, ServiceAccountRoleEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, forbiddenError, invalidError, notFoundError } from '../errors';
import { findPendingRequest, raiseChangeRequest, type ChangeRequestView } from '../governance/change-request-store';
import type { Applier } from '../governance/change-requests';
import { principalsChanged } from '../auth/principal-changes';
import { assertPermitted, type ChangeContext } from './change-context';
import { managesRole } from './managed-scope';
import { roleNameKey } from './role-name';
import type { Assignability, ManagesMode, RoleDefinition, RoleKind, Risk } from './role-model';
import { checkDefinition, checkInput, RoleDirectory } from './roles';
import { lockRole } from './role-rows';
import { assertVersion } from './users';

/**
 * Custom roles as the admin API and the CLI define them (issue 8, seeds 003 and 004): what a role
 * grants (permissions), how risky it is to hold, who may hold it (persons, service accounts or
 * both) and which roles its holders manage and so may assign. System roles and roles made from
 * Active Directory groups are read-only here; a system role is cloned instead. Every write goes
 * through RoleDirectory (the one write path of roles: locked row, version, audit).
 *
 * What is governed, and why: a role's name and description change at once; what it grants
 * (permissions, risk, who may hold it, managed roles) changes every holder's power at once, so
 * unless APPROVAL_MODE is none it becomes a change request that a second person approves. The
 * CLI operator (the root of trust) and an approved request apply it.
 */
export class RoleDefinitions {
  constructor(private readonly dataSource: DataSource, private readonly governance: GovernanceConfig) {}

  /** Roles by name, a page at a time, each with its holders counted (one GROUP BY per page, not a query per role). */
  async list(page: { limit: number; offset: number }): Promise<{ total: number; items: RoleView[] }> {
    const [rows, total] = await this.dataSource.getRepository(RoleEntity).findAndCount({
      order: { displayNameKey: 'ASC', id: 'ASC' }, take: page.limit, skip: page.offset,
    });
    return { total, items: await views(this.dataSource.manager, rows) };
  }

  async get(id: string): Promise<RoleView> {
    const [view] = await views(this.dataSource.manager, [await found(this.dataSource.manager, id)]);
    if (!view) throw notFoundError(`Role ${id} not found`);
    return view;
  }

  /** A custom role (kind custom, source local), granting only what its creator holds. */
  async create(context: ChangeContext, input: NewRole): Promise<RoleView> {
    assertPermitted(context, 'roles:manage');
    const definition = fullDefinition(input);
    const attributes = { displayName: input.name, ...(input.description === undefined ? {} : { description: input.description }), definition };
    checkInput(attributes);
    await assertDefinitionAllowed(this.dataSource.manager, context, definition, undefined);
    const created = await new RoleDirectory(this.dataSource).create(context, attributes);
    return this.get(created.id);
  }

  /**
   * Changes a custom role. Name and description apply at once; a change of what the role grants is
   * governed (see the class comment) and returns the change request instead; a patch with both is
   * one request, so that it applies whole or not at all.
   */
  async update(context: ChangeContext, id: string, patch: RolePatch, options: { expectedVersion?: number } = {}): Promise<RoleUpdateOutcome> {
    assertPermitted(context, 'roles:manage');
    checkPatchShape(patch);
    const current = await found(this.dataSource.manager, id);
    assertDefinable(current);
    assertVersion(current.version, options.expectedVersion);
    const changes = changesOf(current, patch);
    if (Object.keys(changes).length === 0) return { status: 'applied', role: await this.get(id) };
    const governed = GOVERNED.some((field) => changes[field] !== undefined) && context.door !== 'cli' && context.approval === undefined;
    if (governed && this.governance.approvalMode !== 'none') {
      return { status: 'pending', changeRequest: await this.request(context, current, changes) };
    }
    // APPROVAL_MODE=none: the four-eyes rule is waived, and the audit says so.
    const applying: ChangeContext = governed ? { ...context, approvalWaived: true } : context;
    await transaction(this.dataSource, (manager) => applyChanges(manager, applying, id, changes, current.version));
    return { status: 'applied', role: await this.get(id) };
  }

  /**
   * A custom copy of any role (a system role is customised this way), named `<name> Copy`, then
   * `<name> Copy 2`, … unless named; granting only what the caller holds, as a new role does.
   */
  async clone(context: ChangeContext, id: string, options: { name?: string } = {}): Promise<RoleView> {
    assertPermitted(context, 'roles:manage');
    const source = await found(this.dataSource.manager, id);
    const managed = definitionOf(source).managedRoles;
    // A managed role deleted since leaves its id behind (harmless: ids are never reused); the copy drops it.
    const existing = managed.length === 0 ? [] : (await this.dataSource.manager.find(RoleEntity, {
      where: { id: In([...managed]) }, select: { id: true },
    })).map((role) => role.id);
    return this.create(context, {
      name: options.name ?? await freeCopyName(this.dataSource.manager, source.displayName),
      ...(source.description === null ? {} : { description: source.description }),
      ...definitionOf(source), managedRoles: existing,
    });
  }

  /** Deletes a custom role (its memberships go with it; a role a service account holds is refused). */
  async delete(context: ChangeContext, id: string, options: { expectedVersion?: number } = {}): Promise<void> {
    assertPermitted(context, 'roles:manage');
    assertDefinable(await found(this.dataSource.manager, id));
    await new RoleDirectory(this.dataSource).delete(context, id, options);
  }

  /** Raises the change request, once the rules the requester must meet now hold (a doomed request helps nobody). */
  private async request(context: ChangeContext, current: RoleEntity, changes: RoleChanges): Promise<ChangeRequestView> {
    return transaction(this.dataSource, async (manager) => {
      const next = { ...definitionOf(current), ...definitionPart(changes) };
      await assertDefinitionAllowed(manager, context, next, current);
      if (changes.name !== undefined) {
        const holder = await manager.findOne(RoleEntity, { where: { displayNameKey: roleNameKey(changes.name) }, select: { id: true, displayName: true } });
        if (holder && holder.id !== current.id) throw conflictError(`"${changes.name}" reads as the existing role "${holder.displayName}"`);
      }
      const payload = { roleId: current.id, changes: { ...changes }, version: current.version };
      const target = { type: 'Group', id: current.id, name: current.displayName };
      return await findPendingRequest(manager, 'role-definition', target, payload)
        ?? await raiseChangeRequest(manager, context, {
          kind: 'role-definition', target, payload, expiryDays: this.governance.approvalExpiryDays,
          summary: `Change role "${current.displayName}": ${describe(current, changes)}`,
        });
    });
  }
}

/**
 * The applier of approved `role-definition` requests: the change as requested, if the role is
 * still custom and still at the version the request was made against (else 409: it changed
 * meanwhile, and the approver approved something else), with every rule checked again as the
 * requester stands now.
 */
export const applyRoleDefinition: Applier = async (manager, context, payload) => {
  const roleId = typeof payload.roleId === 'string' ? payload.roleId : '';
  const version = typeof payload.version === 'number' ? payload.version : -1;
  const changes = typeof payload.changes === 'object' && payload.changes !== null ? payload.changes as RoleChanges : {};
  assertPermitted(context, 'roles:manage');
  checkPatchShape(changes);
  const row = await applyChanges(manager, context, roleId, changes, version);
  return { roleId, version: row.version, changed: Object.keys(changes).sort() };
};

/** A role as the admin API shows it. */
export interface RoleView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly kind: RoleKind;
  /** local (the admin API, the CLI, the seed), scim (an identity provider's Group) or ad (made from an AD group). */
  readonly source: string;
  readonly risk: Risk;
  readonly assignableTo: Assignability;
  readonly permissions: readonly string[];
  readonly manages: ManagesMode;
  readonly managedRoles: readonly { readonly id: string; readonly name: string }[];
  /** Users holding the role. */
  readonly memberCount: number;
  /** Service accounts holding the role. */
  readonly serviceAccountCount: number;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewRole extends Partial<RoleDefinition> {
  readonly name: string;
  readonly description?: string;
}

export interface RolePatch extends Partial<RoleDefinition> {
  readonly name?: string;
  readonly description?: string;
}

export type RoleUpdateOutcome =
  | { readonly status: 'applied'; readonly role: RoleView }
  | { readonly status: 'pending'; readonly changeRequest: ChangeRequestView };

/** The fields of a patch that differ from the role as it stands, normalised: a change request's payload. */
type RoleChanges = RolePatch;

/** What changes every holder's power at once: governed (four-eyes). */
const GOVERNED = ['permissions', 'risk', 'assignableTo', 'manages', 'managedRoles'] as const;

/** The longest name `<name> Copy n` may take; then the caller names the copy. */
const MAX_COPY_NUMBER = 100;

async function found(manager: EntityManager, id: string): Promise<RoleEntity> {
  const row = await manager.findOneBy(RoleEntity, { id });
  if (!row) throw notFoundError(`Role ${id} not found`);
  return row;
}

/** System roles are the product's own; roles made from AD groups are the directory's. */
function assertDefinable(role: RoleEntity): void {
  if (role.kind === 'system') {
    throw forbiddenError(`"${role.displayName}" is a system role and read-only; clone it (POST /admin/api/roles/${role.id}/clone) `
      + 'and change the copy');
  }
  if (role.source === 'ad') {
    throw forbiddenError(`"${role.displayName}" is made from an Active Directory group and read-only here; `
      + 'the directory sync names it, and its definition comes from the group mapping');
  }
}

/**
 * The rules of what a caller may define, in its transaction: no one grants a permission they do not
 * hold, nor a managed role outside the roles they manage themselves (the rule of grants, seed 000);
 * managed roles exist; and narrowing who may hold the role leaves no holder who may no longer hold it.
 */
async function assertDefinitionAllowed(
  manager: EntityManager, context: ChangeContext, next: RoleDefinition, current: RoleEntity | undefined,
): Promise<void> {
  const before = current ? definitionOf(current) : undefined;
  const held = context.actor.permissions;
  const added = next.permissions.filter((permission) => !before?.permissions.includes(permission));
  const beyond = added.filter((permission) => !held.has('*') && !held.has(permission));
  if (beyond.length > 0) {
    throw forbiddenError(`${context.actor.name} may not give a role permissions they do not hold: ${beyond.join(', ')}`);
  }
  const scope = context.actor.manages;
  if (next.manages === 'all' && before?.manages !== 'all' && scope !== 'all') {
    throw forbiddenError(`${context.actor.name} does not manage every role, so may not define a role that does`);
  }
  const newlyManaged = next.managedRoles.filter((id) => !before?.managedRoles.includes(id));
  const outside = newlyManaged.filter((id) => !managesRole(scope, id));
  if (outside.length > 0) {
    throw forbiddenError(`${context.actor.name} may not let a role manage roles outside their own managed roles: ${outside.join(', ')}`);
  }
  if (newlyManaged.length > 0) {
    const existing = new Set((await manager.find(RoleEntity, { where: { id: In(newlyManaged) }, select: { id: true } })).map((r) => r.id));
    const missing = newlyManaged.filter((id) => !existing.has(id));
    if (missing.length > 0) throw invalidError(`managedRoles names no role with id ${missing.join(', ')}`);
  }
  if (current && before && next.assignableTo !== before.assignableTo) await assertHoldersMayStay(manager, current, next.assignableTo);
}

/** 409 when a person holds a role about to become service-only, or a service account one about to become person-only. */
async function assertHoldersMayStay(manager: EntityManager, role: RoleEntity, assignableTo: Assignability): Promise<void> {
  if (assignableTo === 'service' && await manager.exists(RoleMemberEntity, { where: { roleId: role.id } })) {
    throw conflictError(`Users hold "${role.displayName}"; withdraw it from them before making it a role for service accounts only`);
  }
  if (assignableTo === 'person' && await manager.exists(ServiceAccountRoleEntity, { where: { roleId: role.id } })) {
    throw conflictError(`Service accounts hold "${role.displayName}"; take it from them before making it a role for persons only`);
  }
}

/** Applies changes to a custom role on its locked row, at the version they were asked against. */
async function applyChanges(manager: EntityManager, context: ChangeContext, id: string, changes: RoleChanges, version: number): Promise<RoleEntity> {
  const current = await lockRole(manager, id);
  if (!current) throw conflictError(`Role ${id} no longer exists`);
  assertDefinable(current);
  if (current.version !== version) {
    throw conflictError(`"${current.displayName}" changed since this change was asked for (version ${version}, now ${current.version}); `
      + 'look at it again and ask again');
  }
  const definition = definitionPart(changes);
  await assertDefinitionAllowed(manager, context, { ...definitionOf(current), ...definition }, current);
  const row = await new RoleDirectory(manager.connection).redefine(manager, context, id, (record) => ({
    displayName: changes.name ?? record.displayName,
    ...(record.externalId === null ? {} : { externalId: record.externalId }),
    ...(changes.description === undefined ? {} : { description: changes.description }),
    ...(Object.keys(definition).length === 0 ? {} : { definition }),
  }), { expectedVersion: version });
  // What the role allows is part of every principal holding it: remembered ones are stale now.
  principalsChanged(manager.connection);
  return row;
}

/**
 * The fields of the patch that differ from the role, normalised as stored (sets sorted; managed
 * roles only with `manages` selected, which listing managed roles implies).
 */
function changesOf(role: RoleEntity, patch: RolePatch): RoleChanges {
  const before = definitionOf(role);
  const manages = patch.manages ?? (patch.managedRoles === undefined ? before.manages : 'selected');
  const managedRoles = manages !== 'selected' ? [] : sortedSet(patch.managedRoles ?? (before.manages === 'selected' ? before.managedRoles : []));
  const next: RoleDefinition = {
    permissions: sortedSet(patch.permissions ?? before.permissions),
    risk: patch.risk ?? before.risk,
    assignableTo: patch.assignableTo ?? before.assignableTo,
    manages,
    managedRoles,
  };
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const name = patch.name !== undefined && patch.name !== role.displayName ? patch.name : undefined;
  return {
    ...(name === undefined ? {} : { name }),
    ...(patch.description !== undefined && patch.description !== role.description ? { description: patch.description } : {}),
    ...(same(next.permissions, before.permissions) ? {} : { permissions: next.permissions }),
    ...(next.risk === before.risk ? {} : { risk: next.risk }),
    ...(next.assignableTo === before.assignableTo ? {} : { assignableTo: next.assignableTo }),
    ...(next.manages === before.manages && same(next.managedRoles, before.managedRoles) ? {} : { manages, managedRoles }),
  };
}

function definitionPart(changes: RoleChanges): Partial<RoleDefinition> {
  return Object.fromEntries(GOVERNED.filter((field) => changes[field] !== undefined).map((field) => [field, changes[field]]));
}

/** 400 for a patch whose values are not a role's (names are checked again as the role is written). */
function checkPatchShape(patch: RolePatch): void {
  if (patch.name !== undefined) checkInput({ displayName: patch.name });
  if (patch.description !== undefined) checkInput({ displayName: 'x', description: patch.description });
  checkDefinition(patch);
}

/** A new role's definition: what it says, and otherwise nothing granted, held by anyone, managing no role. */
function fullDefinition(input: Partial<RoleDefinition>): RoleDefinition {
  checkDefinition(input);
  const manages = input.manages ?? (input.managedRoles === undefined ? 'none' : 'selected');
  return {
    permissions: sortedSet(input.permissions ?? []),
    risk: input.risk ?? 'normal',
    assignableTo: input.assignableTo ?? 'any',
    manages,
    managedRoles: manages === 'selected' ? sortedSet(input.managedRoles ?? []) : [],
  };
}

/** A role's definition as stored, its sets sorted (seeded roles list their permissions in the seed's order). */
function definitionOf(row: RoleEntity): RoleDefinition {
  return {
    permissions: sortedSet(JSON.parse(row.permissions) as string[]),
    risk: row.risk === 'high' ? 'high' : 'normal',
    assignableTo: row.assignableTo as Assignability,
    manages: row.manages as ManagesMode,
    managedRoles: row.managedRoles === null ? [] : sortedSet(JSON.parse(row.managedRoles) as string[]),
  };
}

const sortedSet = (items: readonly string[]): string[] => [...new Set(items)].sort();

/** `<name> Copy`, else `<name> Copy 2`, … : the first that no role's name reads as. */
async function freeCopyName(manager: EntityManager, name: string): Promise<string> {
  for (let n = 1; n <= MAX_COPY_NUMBER; n++) {
    const suffix = n === 1 ? ' Copy' : ` Copy ${n}`;
    // Shortened to fit 255 characters, without splitting a surrogate pair.
    const base = name.length + suffix.length <= 255 ? name : name.slice(0, 255 - suffix.length).replace(/[\uD800-\uDBFF]$/, '');
    const candidate = `${base}${suffix}`;
    if (!await manager.exists(RoleEntity, { where: { displayNameKey: roleNameKey(candidate) } })) return candidate;
  }
  throw conflictError(`"${name} Copy" to "${name} Copy ${MAX_COPY_NUMBER}" are all taken; name the copy`);
}

/** A change request's summary: "rename to …; permissions + a, − b; risk normal → high". */
function describe(role: RoleEntity, changes: RoleChanges): string {
  const before = definitionOf(role);
  const parts: string[] = [];
  if (changes.name !== undefined) parts.push(`rename to "${changes.name}"`);
  if (changes.description !== undefined) parts.push('new description');
  if (changes.permissions !== undefined) {
    const plus = changes.permissions.filter((p) => !before.permissions.includes(p));
    const minus = before.permissions.filter((p) => !changes.permissions?.includes(p));
    parts.push(`permissions ${[...plus.map((p) => `+${p}`), ...minus.map((p) => `-${p}`)].join(' ')}`);
  }
  if (changes.risk !== undefined) parts.push(`risk ${before.risk} → ${changes.risk}`);
  if (changes.assignableTo !== undefined) parts.push(`held by ${before.assignableTo} → ${changes.assignableTo}`);
  if (changes.manages !== undefined) {
    parts.push(`manages ${changes.manages}${changes.manages === 'selected' ? ` (${changes.managedRoles?.length ?? 0} roles)` : ''}`);
  }
  return parts.join('; ');
}

/** The views of a page of roles: holders counted and managed roles named, in three queries whatever the page size. */
async function views(manager: EntityManager, rows: readonly RoleEntity[]): Promise<RoleView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const counts = async (table: 'role_members' | 'service_account_roles'): Promise<Map<string, number>> => {
    const found = await manager.query(
      `SELECT role_id AS role_id, COUNT(*) AS n FROM ${table} WHERE role_id IN (${ids.map(() => '?').join(', ')}) GROUP BY role_id`, ids,
    ) as { role_id: string; n: number | string }[];
    return new Map(found.map((row) => [row.role_id, Number(row.n)]));
  };
  const members = await counts('role_members');
  const accounts = await counts('service_account_roles');
  const managedIds = [...new Set(rows.flatMap((row) => definitionOf(row).managedRoles))];
  const names = new Map(managedIds.length === 0 ? [] : (await manager.find(RoleEntity, {
    where: { id: In(managedIds) }, select: { id: true, displayName: true },
  })).map((role) => [role.id, role.displayName]));
  return rows.map((row) => {
    const definition = definitionOf(row);
    return {
      id: row.id, name: row.displayName, description: row.description, kind: row.kind === 'system' ? 'system' : 'custom',
      source: row.source, risk: definition.risk, assignableTo: definition.assignableTo, permissions: definition.permissions,
      manages: definition.manages,
      // A deleted managed role leaves its id behind in the list (ids are never reused); it is not shown.
      managedRoles: definition.managedRoles.flatMap((id) => {
        const name = names.get(id);
        return name === undefined ? [] : [{ id, name }];
      }),
      memberCount: members.get(row.id) ?? 0, serviceAccountCount: accounts.get(row.id) ?? 0,
      version: row.version, createdAt: row.createdAt, updatedAt: row.updatedAt,
    };
  });
}
