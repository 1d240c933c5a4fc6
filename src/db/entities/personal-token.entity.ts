import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from './user.entity';

/**
 * A personal access token: a person (a User holding a role that grants permissions) acts with it
 * through the admin API. Stored like service tokens: only a SHA-256 of the secret; shown once.
 */
@Entity({ name: 'personal_tokens' })
export class PersonalTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Index('ix_personal_tokens_user_id')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_personal_tokens_user' })
  user?: UserEntity;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 24, nullable: true })
  expiresAt!: string | null;

  @Column({ name: 'revoked_at', type: 'varchar', length: 24, nullable: true })
  revokedAt!: string | null;

  @Column({ name: 'last_used_at', type: 'varchar', length: 24, nullable: true })
  lastUsedAt!: string | null;
}
