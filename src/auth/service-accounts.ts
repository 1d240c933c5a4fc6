import { randomUUID } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import { ApiTokenEntity, RoleEntity, ServiceAccountEntity, ServiceAccountRoleEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { conflictError, invalidError, notFoundError } from '../errors';
import { recordAudit } from '../governance/audit';
import { assertPermitted, nowIso, type ChangeContext, type ManagedScope } from '../identity/change-context';
import { scopeOf } from '../identity/managed-scope';
import { roleNameKey } from '../identity/role-name';
import type { Principal } from './principal';
import { grantsOf, type HeldRoleRow } from './held-roles';
import { issueToken, lastUseDue, normalizeExpiry, parseToken, secretMatches } from './tokens';

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

  async create(
    context: ChangeContext,
    input: { name: string; roleNames: readonly string[]; description?: string; expiresAt?: string },
  ): Promise<{ account: ServiceAccountView; token: string }> {
    assertPermitted(context, 'service-accounts:write');
    const name = input.name.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$/.test(name)) {
      throw invalidError('A service account name is 1-100 letters, digits, spaces or . _ @ - and starts with a letter or digit');
    }
    if (input.roleNames.length === 0) throw invalidError('A service account needs at least one role (--role)');
    const expiresAt = normalizeExpiry(input.expiresAt);
    const id = randomUUID();
    const issued = issueToken();
    await transaction(this.dataSource, async (manager) => {
      if (await manager.findOneBy(ServiceAccountEntity, { nameKey: name.toLowerCase() })) {
        throw conflictError(`A service account named "${name}" already exists`);
      }
      const roles = await resolveRoles(manager.getRepository(RoleEntity), input.roleNames);
      const now = nowIso();
      await manager.insert(ServiceAccountEntity, {
        id, name, nameKey: name.toLowerCase(), description: input.description ?? null, createdAt: now, disabledAt: null,
      });
      await manager.insert(ServiceAccountRoleEntity, roles.map((role) => ({ accountId: id, roleId: role.id, createdAt: now })));
      await manager.insert(ApiTokenEntity, {
        id: issued.id, accountId: id, secretHash: issued.secretHash, createdAt: now,
        expiresAt, revokedAt: null, lastUsedAt: null,
      });
      await recordAudit(manager, context, {
        action: 'service-account.create', targetType: 'ServiceAccount', targetId: id, targetName: name,
        changes: { roles: roles.map((role) => role.displayName), tokenId: issued.id, expiresAt },
      });
    });
    return { account: await this.get(id), token: issued.token };
  }

  async list(): Promise<ServiceAccountView[]> {
    const accounts = await this.dataSource.getRepository(ServiceAccountEntity).find({ order: { nameKey: 'ASC' } });
    return Promise.all(accounts.map((account) => this.view(account)));
  }

  /** By id or (case-insensitive) name. */
  async get(idOrName: string): Promise<ServiceAccountView> {
    const repository = this.dataSource.getRepository(ServiceAccountEntity);
    const account = await repository.findOneBy({ id: idOrName })
      ?? await repository.findOneBy({ nameKey: idOrName.toLowerCase() });
    if (!account) throw notFoundError(`No service account "${idOrName}"`);
    return this.view(account);
  }

  async createToken(context: ChangeContext, idOrName: string, expiry?: string): Promise<{ id: string; token: string }> {
    assertPermitted(context, 'service-accounts:write');
    const expiresAt = normalizeExpiry(expiry);
    const account = await this.get(idOrName);
    const issued = issueToken();
    await transaction(this.dataSource, async (manager) => {
      await manager.insert(ApiTokenEntity, {
        id: issued.id, accountId: account.id, secretHash: issued.secretHash, createdAt: nowIso(),
        expiresAt, revokedAt: null, lastUsedAt: null,
      });
      await recordAudit(manager, context, {
        action: 'token.create', targetType: 'ServiceAccount', targetId: account.id, targetName: account.name,
        changes: { tokenId: issued.id, expiresAt },
      });
    });
    return { id: issued.id, token: issued.token };
  }

  async revokeToken(context: ChangeContext, tokenId: string): Promise<TokenView> {
    assertPermitted(context, 'service-accounts:write');
    let revoked: ApiTokenEntity | undefined;
    await transaction(this.dataSource, async (manager) => {
      const token = await manager.findOneBy(ApiTokenEntity, { id: tokenId });
      if (!token) throw notFoundError(`No token with id "${tokenId}"`);
      if (token.revokedAt === null) {
        token.revokedAt = nowIso();
        await manager.update(ApiTokenEntity, { id: tokenId }, { revokedAt: token.revokedAt });
        await recordAudit(manager, context, {
          action: 'token.revoke', targetType: 'ServiceAccount', targetId: token.accountId, changes: { tokenId },
        });
      }
      revoked = token;
    });
    return tokenView(revoked as unknown as ApiTokenEntity);
  }

  /**
   * What an account's roles allow and manage: the union of their permissions and managed roles,
   * nothing for a disabled or unknown account. The sync acts as its own account (Batch sync), read
   * at the start of each run.
   */
  async actingAs(accountId: string): Promise<{ permissions: Set<string>; manages: ManagedScope }> {
    const rows = await this.dataSource.query(
      `SELECT r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles FROM service_accounts a
       JOIN service_account_roles sar ON sar.account_id = a.id JOIN roles r ON r.id = sar.role_id
       WHERE a.id = ? AND a.disabled_at IS NULL`, [accountId],
    ) as { permissions: string; manages: string; managed_roles: string | null }[];
    return {
      permissions: new Set(rows.flatMap((row) => JSON.parse(row.permissions) as string[])),
      manages: scopeOf(rows.map((row) => ({ manages: row.manages, managedRoles: row.managed_roles }))),
    };
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
    const token = rows[0];
    if (!token || !secretMatches(parsed.secret, token.secret_hash)) return undefined;
    const now = nowIso();
    if (token.expires_at !== null && token.expires_at <= now) return undefined;
    if (token.disabled_at !== null) return undefined;
    if (lastUseDue(token.last_used_at, now)) {
      // Through the transaction queue: on SQLite a bare write would join (and roll back with) a
      // transaction another request has open on the shared connection.
      await transaction(this.dataSource, (manager) => manager.update(ApiTokenEntity, { id: token.token_id }, { lastUsedAt: now }));
    }
    return { kind: 'service-account', id: token.account_id, name: token.account_name, tokenId: token.token_id, ...grantsOf(rows) };
  }

  private async view(account: ServiceAccountEntity): Promise<ServiceAccountView> {
    const roles = (await this.rolesOf([account.id])).get(account.id) ?? [];
    const tokens = await this.dataSource.getRepository(ApiTokenEntity).find({
      where: { accountId: account.id }, order: { createdAt: 'ASC' },
    });
    return {
      id: account.id,
      name: account.name,
      description: account.description,
      roles: roles.map((role) => role.displayName),
      createdAt: account.createdAt,
      disabledAt: account.disabledAt,
      tokens: tokens.map(tokenView),
    };
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

async function resolveRoles(
  repository: { find(options: { where: { displayNameKey: ReturnType<typeof In> } }): Promise<RoleEntity[]> },
  names: readonly string[],
): Promise<RoleEntity[]> {
  const keys = [...new Set(names.map(roleNameKey))];
  const roles = await repository.find({ where: { displayNameKey: In(keys) } });
  const missing = [...new Set(names.map((name) => name.trim()))]
    .filter((name) => !roles.some((role) => role.displayNameKey === roleNameKey(name)));
  if (missing.length > 0) {
    throw notFoundError(`No role named ${missing.map((m) => `"${m}"`).join(', ')} (see: scimd roles list)`);
  }
  const personal = roles.filter((role) => role.assignableTo === 'person');
  if (personal.length > 0) {
    throw invalidError(`${personal.map((role) => `"${role.displayName}"`).join(', ')} can only be held by persons, `
      + 'not by a service account');
  }
  return roles;
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
