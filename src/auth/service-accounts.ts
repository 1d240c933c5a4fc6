import { randomUUID } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { principalsChanged } from './principal-changes';
import { ApiTokenEntity, RoleEntity, ServiceAccountEntity, ServiceAccountRoleEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, forbiddenError, invalidError, notFoundError } from '../errors';
import { recordAudit } from '../governance/audit';
import {
  assertPermitted, BATCH_SYNC_ACCOUNT, nowIso, type Actor, type ChangeContext, type ManagedScope,
} from '../identity/change-context';
import { governedGrantReason, isGoverned } from '../identity/grant-rules';
import { roleNameKey } from '../identity/role-name';
import { currentActor } from './actors';
import type { Principal } from './principal';
import { acceptStoredToken } from './token-use';
import { grantsOf, type HeldRoleRow } from './held-roles';
import { issueToken, normalizeExpiry, parseToken } from './tokens';

export interface ServiceAccountView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly roles: string[];
  readonly createdAt: string;
  readonly disabledAt: string | null;
  readonly tokens: TokenView[];
}

export interface TokenView {
  readonly id: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

interface AuthenticationRow extends HeldRoleRow {
  token_id: string;
  secret_hash: string;
  expires_at: string | null;
  last_used_at: string | null;
  account_id: string;
  account_name: string;
  disabled_at: string | null;
}

/** Non-personal identities, their roles and their tokens. Tokens are shown once and stored hashed. */
export class ServiceAccounts {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates an account with its first token, applied now. A governed actor (not the CLI operator,
   * not an approval) naming a governed role is refused with the approval path: such an account is
   * asked for through ServiceAccountRequests, which a second person approves.
   */
  async create(context: ChangeContext, input: NewServiceAccount): Promise<{ account: ServiceAccountView; token: string }> {
    assertPermitted(context, 'service-accounts:write');
    const checked = checkNewAccount(input);
    const id = randomUUID();
    const issued = issueToken();
    await transaction(this.dataSource, (manager) => writeAccount(manager, context, {
      ...checked, accountId: id, roles: input.roleNames, token: { id: issued.id, secretHash: issued.secretHash },
    }));
    return { account: await this.get(id), token: issued.token };
  }

  async list(): Promise<ServiceAccountView[]> {
    const accounts = await this.dataSource.getRepository(ServiceAccountEntity).find({ order: { nameKey: 'ASC' } });
    return this.views(accounts);
  }

  /** A page of accounts by name (the admin API's list): two queries for the page's roles and tokens, not two per account. */
  async page(query: { limit: number; offset: number }): Promise<{ total: number; items: ServiceAccountView[] }> {
    const [accounts, total] = await this.dataSource.getRepository(ServiceAccountEntity).findAndCount({
      order: { nameKey: 'ASC', id: 'ASC' }, take: query.limit, skip: query.offset,
    });
    return { total, items: await this.views(accounts) };
  }

  /** By id or (case-insensitive) name. */
  async get(idOrName: string): Promise<ServiceAccountView> {
    const repository = this.dataSource.getRepository(ServiceAccountEntity);
    const account = await repository.findOneBy({ id: idOrName })
      ?? await repository.findOneBy({ nameKey: idOrName.toLowerCase() });
    if (!account) throw notFoundError(`No service account "${idOrName}"`);
    return this.view(account);
  }

  /** Issues another token, applied now; refused to a governed actor for an account holding a governed role (see create). */
  async createToken(context: ChangeContext, idOrName: string, expiry?: string): Promise<{ id: string; token: string }> {
    assertPermitted(context, 'service-accounts:write');
    const expiresAt = normalizeExpiry(expiry);
    const issued = issueToken();
    await transaction(this.dataSource, (manager) => writeToken(manager, context, {
      account: idOrName, token: { id: issued.id, secretHash: issued.secretHash }, expiresAt,
    }));
    return { id: issued.id, token: issued.token };
  }

  /**
   * Revokes a token at once. Never governed: taking power away needs no second person. With
   * `accountId`, a token of another account is not found (the admin API's path names both).
   */
  async revokeToken(context: ChangeContext, tokenId: string, options: { accountId?: string } = {}): Promise<TokenView> {
    assertPermitted(context, 'service-accounts:write');
    let revoked: ApiTokenEntity | undefined;
    await transaction(this.dataSource, async (manager) => {
      const token = await manager.findOneBy(ApiTokenEntity, { id: tokenId });
      if (!token || (options.accountId !== undefined && token.accountId !== options.accountId)) {
        throw notFoundError(`No token with id "${tokenId}"${options.accountId === undefined ? '' : ` for service account ${options.accountId}`}`);
      }
      if (token.revokedAt === null) {
        token.revokedAt = nowIso();
        await manager.update(ApiTokenEntity, { id: tokenId }, { revokedAt: token.revokedAt });
        await recordAudit(manager, context, {
          action: 'token.revoke', targetType: 'ServiceAccount', targetId: token.accountId, changes: { tokenId },
        });
      }
      revoked = token;
    });
    principalsChanged(this.dataSource);
    return tokenView(revoked as unknown as ApiTokenEntity);
  }

  /**
   * What an account's roles allow and manage: the union of their permissions and managed roles,
   * nothing for a disabled or unknown account. The sync acts as its own account (Batch sync), read
   * at the start of each run.
   */
  async actingAs(accountId: string): Promise<{ permissions: ReadonlySet<string>; manages: ManagedScope }> {
    const actor = await currentActor(this.dataSource.manager, { type: 'service-account', id: accountId, name: '' });
    return actor ? { permissions: actor.permissions, manages: actor.manages } : { permissions: new Set(), manages: new Set() };
  }

  /**
   * The principal a service account's bearer token (`scimd_…`) stands for, or undefined when it is
   * unknown, revoked, expired or its account disabled. Personal tokens are PersonalTokens'.
   */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    const parsed = parseToken(bearer);
    if (parsed?.kind !== 'service') return undefined;
    // One query on every request: the token, its account and the account's roles together.
    // Plain SQL: it runs on every request.
    const rows = await this.dataSource.query(
      `SELECT t.id AS token_id, t.secret_hash AS secret_hash, t.expires_at AS expires_at, t.last_used_at AS last_used_at,
              a.id AS account_id, a.name AS account_name, a.disabled_at AS disabled_at,
              r.display_name AS role_name, r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles
       FROM api_tokens t
       JOIN service_accounts a ON a.id = t.account_id
       LEFT JOIN service_account_roles sar ON sar.account_id = a.id
       LEFT JOIN roles r ON r.id = sar.role_id
       WHERE t.id = ? AND t.revoked_at IS NULL`, [parsed.id],
    ) as AuthenticationRow[];
    const token = await acceptStoredToken(this.dataSource, ApiTokenEntity, rows[0], parsed.secret, (row) => row.disabled_at === null);
    if (!token) return undefined;
    return {
      kind: 'service-account', id: token.account_id, name: token.account_name, tokenId: token.token_id,
      tokenExpiresAt: token.expires_at, ...grantsOf(rows),
    };
  }

  private async view(account: ServiceAccountEntity): Promise<ServiceAccountView> {
    const [view] = await this.views([account]);
    if (!view) throw notFoundError(`No service account "${account.id}"`);
    return view;
  }

  private async views(accounts: readonly ServiceAccountEntity[]): Promise<ServiceAccountView[]> {
    if (accounts.length === 0) return [];
    const ids = accounts.map((account) => account.id);
    const roles = await this.rolesOf(ids);
    const tokens = await this.dataSource.getRepository(ApiTokenEntity).find({
      where: { accountId: In(ids) }, order: { createdAt: 'ASC', id: 'ASC' },
    });
    return accounts.map((account) => ({
      id: account.id,
      name: account.name,
      description: account.description,
      roles: (roles.get(account.id) ?? []).map((role) => role.displayName),
      createdAt: account.createdAt,
      disabledAt: account.disabledAt,
      tokens: tokens.filter((token) => token.accountId === account.id).map(tokenView),
    }));
  }

  private async rolesOf(accountIds: string[]): Promise<Map<string, RoleEntity[]>> {
    const links = await this.dataSource.getRepository(ServiceAccountRoleEntity).find({ where: { accountId: In(accountIds) } });
    const roles = links.length === 0 ? [] : await this.dataSource.getRepository(RoleEntity).find({
      where: { id: In([...new Set(links.map((link) => link.roleId))]) }, order: { displayNameKey: 'ASC' },
    });
    const byId = new Map(roles.map((role) => [role.id, role]));
    const result = new Map<string, RoleEntity[]>();
    for (const link of links) {
      const role = byId.get(link.roleId);
      if (role) result.set(link.accountId, [...(result.get(link.accountId) ?? []), role]);
    }
    return result;
  }
}

/** A service account to create: names or ids of its roles, and an optional expiry of its first token. */
export interface NewServiceAccount {
  readonly name: string;
  /** Role names (as they read: case, white space and Unicode forms aside) or role ids. */
  readonly roleNames: readonly string[];
  readonly description?: string;
  readonly expiresAt?: string;
}

/** An account as it will be written, the token already minted (only its hash here): what create applies and a request carries. */
export interface AccountPlan {
  readonly accountId: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly description: string | null;
  readonly expiresAt: string | null;
  readonly token: MintedToken;
}

/** A token's id and the SHA-256 of its secret; the secret itself went to the requester once and is kept nowhere. */
export interface MintedToken {
  readonly id: string;
  readonly secretHash: string;
}

/** Where governed service-account writes are asked for instead, as refusals say. */
export const ACCOUNT_REQUEST_PATH = 'POST /admin/api/service-accounts';
export const tokenRequestPath = (accountId: string): string => `POST /admin/api/service-accounts/${accountId}/tokens`;

const MAX_DESCRIPTION_LENGTH = 1000;

/** The name, description and expiry of a new account as written (400 for anything wrong), before any row is read. */
export function checkNewAccount(input: NewServiceAccount): { name: string; description: string | null; expiresAt: string | null } {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$/.test(name)) {
    throw invalidError('A service account name is 1-100 letters, digits, spaces or . _ @ - and starts with a letter or digit');
  }
  if (input.roleNames.length === 0) throw invalidError('A service account needs at least one role (--role)');
  if (input.roleNames.some((role) => typeof role !== 'string' || role.trim() === '')) {
    throw invalidError('A role is named by its name or its id');
  }
  if (input.description !== undefined && input.description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidError(`A service account's description is at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return { name, description: input.description ?? null, expiresAt: normalizeExpiry(input.expiresAt) };
}

/**
 * Writes a new account, its roles and its first token, audited, in the caller's transaction: the one
 * path of ServiceAccounts.create and of an approved `service-account` request, so every rule is
 * checked here whichever applies it.
 */
export async function writeAccount(manager: EntityManager, context: ChangeContext, plan: AccountPlan): Promise<RoleEntity[]> {
  assertPermitted(context, 'service-accounts:write');
  await assertNameFree(manager, plan.name);
  const roles = await resolveRoles(manager, plan.roles);
  refuseGoverned(context, roles, `Creating service account "${plan.name}"`, ACCOUNT_REQUEST_PATH);
  const now = nowIso();
  await manager.insert(ServiceAccountEntity, {
    id: plan.accountId, name: plan.name, nameKey: nameKeyOf(plan.name), description: plan.description, createdAt: now, disabledAt: null,
  });
  await manager.insert(ServiceAccountRoleEntity, roles.map((role) => ({ accountId: plan.accountId, roleId: role.id, createdAt: now })));
  await manager.insert(ApiTokenEntity, {
    id: plan.token.id, accountId: plan.accountId, secretHash: plan.token.secretHash, createdAt: now,
    expiresAt: plan.expiresAt, revokedAt: null, lastUsedAt: null,
  });
  await recordAudit(manager, context, {
    action: 'service-account.create', targetType: 'ServiceAccount', targetId: plan.accountId, targetName: plan.name,
    changes: { roles: roles.map((role) => role.displayName), tokenId: plan.token.id, expiresAt: plan.expiresAt, ...governance(context) },
  });
  return roles;
}

/**
 * Writes a new token of an existing account, audited, in the caller's transaction: the one path of
 * ServiceAccounts.createToken and of an approved `service-token` request.
 */
export async function writeToken(
  manager: EntityManager, context: ChangeContext, plan: { account: string; token: MintedToken; expiresAt: string | null },
): Promise<ServiceAccountEntity> {
  assertPermitted(context, 'service-accounts:write');
  const account = await findAccount(manager, plan.account);
  assertTokenIssuable(context, account);
  refuseGoverned(context, await accountRoles(manager, account.id), `A token for service account "${account.name}"`,
    tokenRequestPath(account.id));
  await manager.insert(ApiTokenEntity, {
    id: plan.token.id, accountId: account.id, secretHash: plan.token.secretHash, createdAt: nowIso(),
    expiresAt: plan.expiresAt, revokedAt: null, lastUsedAt: null,
  });
  await recordAudit(manager, context, {
    action: 'token.create', targetType: 'ServiceAccount', targetId: account.id, targetName: account.name,
    changes: { tokenId: plan.token.id, expiresAt: plan.expiresAt, ...governance(context) },
  });
  return account;
}

/**
 * Why holding these roles is governed for this actor (src/identity/grant-rules.ts): a high-risk role,
 * or one carrying permissions the actor lacks. Giving an account roles is granting them, and minting
 * a token hands its holder the account's roles: the same rule as granting a role to a person.
 */
export function governedReasons(actor: Actor, roles: readonly RoleEntity[]): string[] {
  return roles.map((role) => governedGrantReason(actor, role)).filter((reason) => reason !== undefined);
}

/** Refuses (403) a governed write applied directly, naming where to ask for it instead: no door skips the request. */
function refuseGoverned(context: ChangeContext, roles: readonly RoleEntity[], what: string, path: string): void {
  const reasons = isGoverned(context) ? governedReasons(context.actor, roles) : [];
  if (reasons.length === 0) return;
  throw forbiddenError(`${what} needs a second person's approval (${reasons.join('; ')}): ask for it at ${path} `
    + '(needs roles:manage); it becomes a change request that a second person holding approvals:decide approves');
}

/**
 * Batch sync is the directory sync's own identity: what its roles allow is what the sync may do, and
 * the audit reads its name as "the sync did this". The sync needs no bearer token, and a caller
 * holding one would write under the sync's name; so only the local operator (the root of trust,
 * break-glass) issues one.
 */
export function assertTokenIssuable(context: ChangeContext, account: { id: string; name: string; disabledAt: string | null }): void {
  if (account.id === BATCH_SYNC_ACCOUNT.id && context.door !== 'cli') {
    throw forbiddenError(`"${account.name}" is the directory sync's own identity and takes no tokens here: a caller holding `
      + 'one would act under the sync\'s name. Only the local operator issues one (scimd token create)');
  }
  if (account.disabledAt !== null) throw conflictError(`Service account "${account.name}" is disabled`);
}

export async function assertNameFree(manager: EntityManager, name: string): Promise<void> {
  if (await manager.findOne(ServiceAccountEntity, { where: { nameKey: nameKeyOf(name) }, select: { id: true } })) {
    throw conflictError(`A service account named "${name}" already exists`);
  }
}

export function nameKeyOf(name: string): string {
  return name.trim().toLowerCase();
}

/** By id or (case-insensitive) name. */
export async function findAccount(manager: EntityManager, idOrName: string): Promise<ServiceAccountEntity> {
  const account = await manager.findOneBy(ServiceAccountEntity, { id: idOrName })
    ?? await manager.findOneBy(ServiceAccountEntity, { nameKey: nameKeyOf(idOrName) });
  if (!account) throw notFoundError(`No service account "${idOrName}"`);
  return account;
}

export async function accountRoles(manager: EntityManager, accountId: string): Promise<RoleEntity[]> {
  const links = await manager.find(ServiceAccountRoleEntity, { where: { accountId } });
  return links.length === 0 ? [] : manager.find(RoleEntity, { where: { id: In(links.map((link) => link.roleId)) } });
}

/** Roles by name (as they read) or id; an unknown one is not found, naming it as written; a person-only one is refused. */
export async function resolveRoles(manager: EntityManager, references: readonly string[]): Promise<RoleEntity[]> {
  const wanted = [...new Set(references.map((reference) => reference.trim()))];
  const found = await manager.find(RoleEntity, {
    where: [{ displayNameKey: In([...new Set(wanted.map(roleNameKey))]) }, { id: In(wanted) }],
  });
  const matches = (role: RoleEntity, reference: string): boolean => role.id === reference || role.displayNameKey === roleNameKey(reference);
  const missing = wanted.filter((reference) => !found.some((role) => matches(role, reference)));
  if (missing.length > 0) {
    throw notFoundError(`No role named ${missing.map((m) => `"${m}"`).join(', ')} (see: scimd roles list)`);
  }
  const roles = found.filter((role) => wanted.some((reference) => matches(role, reference)));
  const personal = roles.filter((role) => role.assignableTo === 'person');
  if (personal.length > 0) {
    throw invalidError(`${personal.map((role) => `"${role.displayName}"`).join(', ')} can only be held by persons, `
      + 'not by a service account');
  }
  return roles;
}

/** What an approval or a waiver adds to the audit of a write. */
function governance(context: ChangeContext): Record<string, unknown> {
  return {
    ...(context.approval ? { approval: context.approval } : {}),
    ...(context.approvalWaived ? { approvalWaived: 'APPROVAL_MODE=none' } : {}),
  };
}

function tokenView(token: ApiTokenEntity): TokenView {
  return {
    id: token.id,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    revokedAt: token.revokedAt,
    lastUsedAt: token.lastUsedAt,
  };
}
