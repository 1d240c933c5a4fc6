import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A governed change waiting for a second person (four-eyes): what was asked (`payload`, applied
 * as it stands when approved), by whom, until when, and who decided it.
 */
@Entity({ name: 'change_requests' })
@Index('ix_change_requests_status', ['status', 'requestedAt'])
@Index('ix_change_requests_target', ['targetType', 'targetId'])
export class ChangeRequestEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** role-assignment, role-definition, service-account, service-token, sync-release. */
  @Column({ name: 'kind', type: 'varchar', length: 32 })
  kind!: string;

  /** pending, approved, rejected, expired, failed. */
  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: string;

  @Column({ name: 'summary', type: 'text' })
  summary!: string;

  /** JSON: what to apply on approval. Never a secret (a token's hash at most). */
  @Column({ name: 'payload', type: 'text' })
  payload!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType!: string;

  @Column({ name: 'target_id', type: 'varchar', length: 64 })
  targetId!: string;

  @Column({ name: 'target_name', type: 'varchar', length: 255, nullable: true })
  targetName!: string | null;

  @Column({ name: 'requested_by_type', type: 'varchar', length: 32 })
  requestedByType!: string;

  @Column({ name: 'requested_by_id', type: 'varchar', length: 64, nullable: true })
  requestedById!: string | null;

  @Column({ name: 'requested_by_name', type: 'varchar', length: 255 })
  requestedByName!: string;

  @Column({ name: 'requested_at', type: 'varchar', length: 24 })
  requestedAt!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 24 })
  expiresAt!: string;

  @Column({ name: 'decided_by_type', type: 'varchar', length: 32, nullable: true })
  decidedByType!: string | null;

  @Column({ name: 'decided_by_id', type: 'varchar', length: 64, nullable: true })
  decidedById!: string | null;

  @Column({ name: 'decided_by_name', type: 'varchar', length: 255, nullable: true })
  decidedByName!: string | null;

  @Column({ name: 'decided_at', type: 'varchar', length: 24, nullable: true })
  decidedAt!: string | null;

  @Column({ name: 'comment', type: 'text', nullable: true })
  comment!: string | null;

  /** JSON: what the approval applied, or why it could not. */
  @Column({ name: 'result', type: 'text', nullable: true })
  result!: string | null;
}
