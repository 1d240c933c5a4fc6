import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity';

/**
 * A person's session in the web console (src/auth/console-sessions.ts). The cookie holds a random
 * 256-bit id; only its SHA-256 is stored. Idle expiry counts from `lastSeenAt`, absolute expiry is
 * `expiresAt`; sign-out sets `revokedAt`.
 */
@Entity({ name: 'console_sessions' })
export class ConsoleSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('uq_console_sessions_id_hash', { unique: true })
  @Column({ name: 'id_hash', type: 'varchar', length: 64 })
  idHash!: string;

  @Index('ix_console_sessions_user_id')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_console_sessions_user' })
  user?: UserEntity;

  /** How the person signed in: `token` (a personal access token) or `oidc`. */
  @Column({ name: 'method', type: 'varchar', length: 16 })
  method!: string;

  /** The session's CSRF token (random, base64url): every state-changing console request carries it. */
  @Column({ name: 'csrf_secret', type: 'varchar', length: 64 })
  csrfSecret!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'last_seen_at', type: 'varchar', length: 24 })
  lastSeenAt!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 24 })
  expiresAt!: string;

  @Column({ name: 'revoked_at', type: 'varchar', length: 24, nullable: true })
  revokedAt!: string | null;
}
