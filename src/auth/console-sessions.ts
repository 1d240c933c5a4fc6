import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ConsoleSessionEntity } from '../db/entities';
import { transaction } from '../db/transaction';
import { recordAudit } from '../governance/audit';
import type { ChangeContext } from '../identity/change-context';
import { grantsOf, type HeldRoleRow } from './held-roles';
import { contextOf, type Principal } from './principal';

/** How long a console session lives: idle (since its last request) and absolute (since sign-in). */
export interface ConsoleSessionLimits {
  /** CONSOLE_SESSION_IDLE_MINUTES, default 30. */
  readonly idleMinutes: number;
  /** CONSOLE_SESSION_HOURS, default 12. */
  readonly absoluteHours: number;
}

export const DEFAULT_SESSION_LIMITS: ConsoleSessionLimits = { idleMinutes: 30, absoluteHours: 12 };

/** How a person signed in. */
export type SignInMethod = 'token' | 'oidc';

/** A session just opened: the cookie value (shown to the browser once, stored only hashed). */
export interface OpenedSession {
  /** The random 256-bit session id (base64url): the cookie's value. Never logged, never audited. */
  readonly secret: string;
  /** The row id: names the session without being its credential. */
  readonly sessionId: string;
  readonly csrfToken: string;
  readonly principal: Principal;
  readonly expiresAt: string;
}

/** A live session, as a request finds it: the person with their current roles' grants. */
export interface ActiveSession {
  readonly sessionId: string;
  readonly principal: Principal;
  readonly csrfToken: string;
  readonly method: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  /** When it ends unless used again (idle expiry). */
  readonly idleExpiresAt: string;
  /** When it ends whatever happens (absolute expiry). */
  readonly expiresAt: string;
}

interface SessionRow extends HeldRoleRow {
  session_id: string;
  csrf_secret: string;
  method: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  user_id: string;
  user_name: string;
  active: number | string | boolean;
}

interface PersonRow extends HeldRoleRow {
  user_id: string;
  user_name: string;
  active: number | string | boolean;
}

/** Roles a person may hold; a person is a User holding one of these that grants a permission (as for personal tokens). */
const PERSON_ASSIGNABLE = `('person', 'any')`;
const ROLE_COLUMNS = 'r.display_name AS role_name, r.permissions AS permissions, r.manages AS manages, r.managed_roles AS managed_roles';
/** last_seen_at is written at most this often per session, so that most requests stay reads. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/**
 * Server-side sessions of the web console. The browser holds a random 256-bit id; the database
 * holds its SHA-256, so a copy of the table signs nobody in. Like a personal access token, a
 * session carries no permissions of its own: the person's current roles are read at every request
 * (one query), and a user who is deactivated, deleted or holds no person role any more is signed
 * out at their next request. A session ends after `idleMinutes` without a request, after
 * `absoluteHours` whatever happens, or at sign-out (revoked server-side: a replayed cookie finds a
 * revoked row). `now` is injectable so that tests move the clock instead of waiting.
 */
export class ConsoleSessions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly limits: ConsoleSessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Opens a session for a user who is a person now (active, holding a person role); undefined
   * otherwise. Audited as `session.create` by the person through the console door, with the
   * sign-in method and the absolute expiry; never the session id.
   */
  async open(userId: string, method: SignInMethod, requestId?: string): Promise<OpenedSession | undefined> {
    const secret = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const createdAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + this.limits.absoluteHours * 3_600_000).toISOString();
    const sessionId = randomUUID();
    return transaction(this.dataSource, async (manager) => {
      const principal = await personNow(manager, userId, sessionId);
      if (!principal) return undefined;
      await manager.insert(ConsoleSessionEntity, {
        id: sessionId, idHash: hashSessionSecret(secret), userId, method, csrfSecret: csrfToken,
        createdAt, lastSeenAt: createdAt, expiresAt, revokedAt: null,
      });
      await recordAudit(manager, contextOf(principal, 'console', requestId), {
        action: 'session.create', targetType: 'User', targetId: principal.id, targetName: principal.name,
        changes: { method, expiresAt },
      });
      return { secret, sessionId, csrfToken, principal, expiresAt };
    });
  }

  /**
   * The live session a cookie value stands for, with the person's current grants; undefined when
   * the value is unknown, the session revoked, idle too long or past its absolute expiry, or its
   * user is no longer an active person. A found session's last_seen_at moves on (at most once a minute).
   */
  async find(secret: string): Promise<ActiveSession | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
    const rows = await this.dataSource.query(
      `SELECT s.id AS session_id, s.csrf_secret AS csrf_secret, s.method AS method, s.created_at AS created_at,
              s.last_seen_at AS last_seen_at, s.expires_at AS expires_at,
              u.id AS user_id, u.user_name AS user_name, u.active AS active, ${ROLE_COLUMNS}
       FROM console_sessions s
       JOIN users u ON u.id = s.user_id
       LEFT JOIN role_members m ON m.user_id = u.id
       LEFT JOIN roles r ON r.id = m.role_id AND r.assignable_to IN ${PERSON_ASSIGNABLE}
       WHERE s.id_hash = ? AND s.revoked_at IS NULL`, [hashSessionSecret(secret)],
    ) as SessionRow[];
    const row = rows[0];
    if (!row) return undefined;
    const now = this.now();
    const nowText = now.toISOString();
    const idleExpiresAt = this.idleEnd(row.last_seen_at);
    if (row.expires_at <= nowText || idleExpiresAt <= nowText) return undefined;
    const principal = principalOf(row, rows, row.session_id);
    if (!principal) return undefined;
    let lastSeenAt = row.last_seen_at;
    if (now.getTime() - Date.parse(row.last_seen_at) >= LAST_SEEN_RESOLUTION_MS) {
      lastSeenAt = nowText;
      // Through the transaction queue (SQLite's shared connection), as tokens' lastUsedAt is.
      await transaction(this.dataSource, (manager) => manager.update(ConsoleSessionEntity, { id: row.session_id }, { lastSeenAt }));
    }
    return {
      sessionId: row.session_id, principal, csrfToken: row.csrf_secret, method: row.method, createdAt: row.created_at,
      lastSeenAt, idleExpiresAt: earlier(this.idleEnd(lastSeenAt), row.expires_at), expiresAt: row.expires_at,
    };
  }

  /**
   * Ends a session at once (sign-out): its row is marked revoked, so the cookie, replayed, finds
   * nothing. Audited as `session.revoke` by the context's actor; revoking a session that already
   * ended changes (and audits) nothing.
   */
  async revoke(context: ChangeContext, sessionId: string, reason: 'sign-out' = 'sign-out'): Promise<boolean> {
    return transaction(this.dataSource, async (manager) => {
      const session = await manager.findOneBy(ConsoleSessionEntity, { id: sessionId });
      if (!session || session.revokedAt !== null) return false;
      await manager.update(ConsoleSessionEntity, { id: sessionId }, { revokedAt: this.now().toISOString() });
      const user = await manager.query('SELECT user_name FROM users WHERE id = ?', [session.userId]) as { user_name: string }[];
      await recordAudit(manager, context, {
        action: 'session.revoke', targetType: 'User', targetId: session.userId, targetName: user[0]?.user_name ?? null,
        changes: { method: session.method, reason },
      });
      return true;
    });
  }

  /** A user's person principal now (active, holding a person role), as a session would carry it; undefined otherwise. */
  async person(userId: string): Promise<Principal | undefined> {
    return personNow(this.dataSource.manager, userId, '');
  }

  private idleEnd(lastSeenAt: string): string {
    return new Date(Date.parse(lastSeenAt) + this.limits.idleMinutes * 60_000).toISOString();
  }
}

/** The SHA-256 of a session id, as stored. A fast hash is right: the id has 256 random bits. */
export function hashSessionSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of two tokens (CSRF tokens, pre-session tokens). */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

async function personNow(manager: EntityManager, userId: string, sessionId: string): Promise<Principal | undefined> {
  const rows = await manager.query(
    `SELECT u.id AS user_id, u.user_name AS user_name, u.active AS active, ${ROLE_COLUMNS}
     FROM users u
     LEFT JOIN role_members m ON m.user_id = u.id
     LEFT JOIN roles r ON r.id = m.role_id AND r.assignable_to IN ${PERSON_ASSIGNABLE}
     WHERE u.id = ?`, [userId],
  ) as PersonRow[];
  const row = rows[0];
  return row ? principalOf(row, rows, sessionId) : undefined;
}

/** A person's principal from their row and held roles; undefined unless active and holding a role that grants something. */
function principalOf(row: PersonRow, rows: readonly HeldRoleRow[], sessionId: string): Principal | undefined {
  if (!(row.active === true || Number(row.active) === 1)) return undefined;
  const grants = grantsOf(rows);
  if (grants.permissions.size === 0) return undefined;
  // tokenId names what authenticated the request: here the session (its row id, not its secret).
  return { kind: 'person', id: row.user_id, name: row.user_name, tokenId: `session:${sessionId}`, ...grants };
}

function earlier(a: string, b: string): string {
  return a < b ? a : b;
}
