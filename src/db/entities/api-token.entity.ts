import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ServiceAccountEntity } from './service-account.entity';

/**
 * A bearer token of a service account. Only a SHA-256 of the secret part is stored; the token
 * itself is shown once when created. `id` is the public part embedded in the token.
 */
@Entity({ name: 'api_tokens' })
export class ApiTokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Index('ix_api_tokens_account_id')
  @Column({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @ManyToOne(() => ServiceAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'fk_api_tokens_account' })
  account?: ServiceAccountEntity;

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
