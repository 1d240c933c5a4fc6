import type { DataSource, EntityManager } from 'typeorm';
import { PersonalTokenEntity, UserEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { forbiddenError, invalidError, notFoundError } from '../errors';
import { recordAudit } from '../governance/audit';
import { nowIso, type ChangeContext } from '../identity/change-context';
import { acceptStoredToken } from './token-use';
import { grantsOf, type HeldRoleRow } from './held-roles';
import type { Principal } from './principal';
import { issueToken, normalizeExpiry, parseToken } from './tokens';

/** A personal access token as it is listed: never its secret. */
export interface PersonalTokenView {
  readonly id: string;
  readonly userId: string;
  readonly userName: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface IssuedPersonalToken {
  readonly id: string;
  readonly userId: string;
  readonly userName: string;
  /** `scimd_p_<id>_<secret>`: shown once, stored only as the SHA-256 of the secret. */
  readonly token: string;
  readonly expiresAt: string | null;
}

interface AuthenticationRow extends HeldRoleRow {
  token_id: string;
  secret_hash: string;
  expires_at: string | null;
  last_used_at: string | null;
  user_id: string;
  user_name: string;
  /** 1/0 on both databases (a boolean column); true with drivers that convert it. */
  active: number | string | boolean;
}

/**
 * Roles a person may hold (assignable to persons or to anyone). A person role is one of these that
 * grants at least one permission; a person is a User holding a person role. Roles only service
 * accounts may hold are left out even if a membership named one.
 */
const PERSON_ASSIGNABLE = `('person', 'any')`;

/**
 * Personal access tokens: a person (a User holding a person role) acts through the admin API with
 * one. Issued by the local operator (`scimd token create --user`); the person's permissions are
 * read from their current roles at every request, so withdrawing a role takes effect at once.
 */
export class PersonalTokens {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Issues a token for a user named by userName (case-insensitively) or id. Only the local
   * operator may, for now; refused for an unknown or inactive user and for a user holding no
   * person role. Audited (`token.create`) in the same transaction, by token id, never the secret.
   */
  async create(context: ChangeContext, input: { userName: string; expiresAt?: string }): Promise<IssuedPersonalToken> {
    if (context.actor.type !== 'cli') {
      throw forbiddenError(`${context.actor.name} may not issue personal access tokens: only the local operator may (scimd token create --user)`);
    }
    const expiresAt = normalizeExpiry(input.expiresAt);
    const issued = issueToken('personal');
    let user: UserEntity | undefined;
    await transaction(this.dataSource, async (manager) => {
      user = await findUser(manager, input.userName);
      if (!user.active) throw invalidError(`User "${user.userName}" is inactive: an inactive user gets no personal access token`);
      if (!await holdsPersonRole(manager, user.id)) {
        throw invalidError(`User "${user.userName}" holds no role that grants a permission: `
          + 'a personal access token is only for persons (grant them a role first)');
      }
      await manager.insert(PersonalTokenEntity, {
        id: issued.id, userId: user.id, secretHash: issued.secretHash, createdAt: nowIso(),
        expiresAt, revokedAt: null, lastUsedAt: null,
      });
      await recordAudit(manager, context, {
        action: 'token.create', targetType: 'User', targetId: user.id, targetName: user.userName,
        changes: { tokenId: issued.id, kind: 'personal', expiresAt },
      });
    });
    const holder = user as unknown as UserEntity;
    return { id: issued.id, userId: holder.id, userName: holder.userName, token: issued.token, expiresAt };
  }

  /** A user's tokens, oldest first (never the secrets). */
  async list(userName: string): Promise<PersonalTokenView[]> {
    const user = await findUser(this.dataSource.manager, userName);
    const tokens = await this.dataSource.getRepository(PersonalTokenEntity).find({
      where: { userId: user.id }, order: { createdAt: 'ASC', id: 'ASC' },
    });
    return tokens.map((token) => viewOf(token, user.userName));
  }

  /** One token by id, or undefined when no personal token has it (it may be a service account's). */
  async find(tokenId: string): Promise<PersonalTokenView | undefined> {
    const token = await this.dataSource.getRepository(PersonalTokenEntity).findOneBy({ id: tokenId });
    if (!token) return undefined;
    const user = await this.dataSource.getRepository(UserEntity).findOneBy({ id: token.userId });
    return viewOf(token, user?.userName ?? token.userId);
  }

  /**
   * Revokes a token at once: by the local operator, or by the person it belongs to. Revoking a
   * revoked token changes (and audits) nothing.
   */
  async revoke(context: ChangeContext, tokenId: string): Promise<PersonalTokenView> {
    let view: PersonalTokenView | undefined;
    await transaction(this.dataSource, async (manager) => {
      const token = await manager.findOneBy(PersonalTokenEntity, { id: tokenId });
      if (!token) throw notFoundError(`No token with id "${tokenId}"`);
      const ownToken = context.actor.type === 'person' && context.actor.id === token.userId;
      if (context.actor.type !== 'cli' && !ownToken) {
        throw forbiddenError(`${context.actor.name} may not revoke another person's token`);
      }
      const user = await manager.findOneBy(UserEntity, { id: token.userId });
      const userName = user?.userName ?? token.userId;
      if (token.revokedAt === null) {
        token.revokedAt = nowIso();
        await manager.update(PersonalTokenEntity, { id: tokenId }, { revokedAt: token.revokedAt });
        await recordAudit(manager, context, {
          action: 'token.revoke', targetType: 'User', targetId: token.userId, targetName: userName,
          changes: { tokenId, kind: 'personal' },
        });
      }
      view = viewOf(token, userName);
    });
    return view as unknown as PersonalTokenView;
  }

  /**
   * The person a personal token (`scimd_p_…`) stands for, with the permissions and managed roles
   * of the roles they hold now; undefined when the token is unknown, revoked or expired, or the
   * user deleted (the token went with them) or inactive.
   */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    const parsed = parseToken(bearer);
    if (parsed?.kind !== 'personal') return undefined;
    // One query on every request: the token, its user and the user's person-assignable roles.
    // Plain SQL, as for service tokens: it runs on every request.
    const rows = await this.dataSource.query(
      `SELECT t.id AS token_id, t.secret_hash AS secret_hash, t.expires_at AS expires_at, t.last_used_at AS last_used_at,
              u.id AS user_id, u.user_name AS user_name, u.active AS active,
              r.display_name AS role_name, r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles
       FROM personal_tokens t
       JOIN users u ON u.id = t.user_id
       LEFT JOIN role_members m ON m.user_id = u.id
       LEFT JOIN roles r ON r.id = m.role_id AND r.assignable_to IN ${PERSON_ASSIGNABLE}
       WHERE t.id = ? AND t.revoked_at IS NULL`, [parsed.id],
    ) as AuthenticationRow[];
    const token = await acceptStoredToken(this.dataSource, PersonalTokenEntity, rows[0], parsed.secret, (row) => isTrue(row.active));
    if (!token) return undefined;
    return { kind: 'person', id: token.user_id, name: token.user_name, tokenId: token.token_id, ...grantsOf(rows) };
  }
}

/** By userName (case-insensitively, as SCIM compares it) or by id. */
async function findUser(manager: EntityManager, userNameOrId: string): Promise<UserEntity> {
  const user = await manager.findOneBy(UserEntity, { userNameKey: userNameOrId.toLowerCase() })
    ?? await manager.findOneBy(UserEntity, { id: userNameOrId });
  if (!user) throw notFoundError(`No user "${userNameOrId}"`);
  return user;
}

async function holdsPersonRole(manager: EntityManager, userId: string): Promise<boolean> {
  const rows = await manager.query(
    `SELECT r.permissions AS permissions FROM role_members m JOIN roles r ON r.id = m.role_id
     WHERE m.user_id = ? AND r.assignable_to IN ${PERSON_ASSIGNABLE}`, [userId],
  ) as { permissions: string }[];
  return rows.some((row) => (JSON.parse(row.permissions) as unknown[]).length > 0);
}

function isTrue(value: number | string | boolean): boolean {
  return value === true || Number(value) === 1;
}

function viewOf(token: PersonalTokenEntity, userName: string): PersonalTokenView {
  return {
    id: token.id, userId: token.userId, userName, createdAt: token.createdAt,
    expiresAt: token.expiresAt, revokedAt: token.revokedAt, lastUsedAt: token.lastUsedAt,
  };
}
