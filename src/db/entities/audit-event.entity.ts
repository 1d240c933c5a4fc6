import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Who changed what, through which door. Written in the same transaction as the change, and sealed
 * into a hash chain once that has committed (src/governance/audit-seal.ts, audit-chain.ts): `seq`
 * is its position, `hash` covers its fields and `prevHash`, the hash of the event at seq - 1 (null
 * for the first). An event not sealed yet has none of the three.
 */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_target', ['targetType', 'targetId'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** Null until the event is sealed (src/governance/audit-seal.ts). */
  @Index('ux_audit_events_seq', { unique: true })
  @Column({ name: 'seq', type: 'integer', nullable: true })
  seq!: number | null;

  @Index('ix_audit_events_occurred_at')
  @Column({ name: 'occurred_at', type: 'varchar', length: 24 })
  occurredAt!: string;

  /** service-account, cli, sync. */
  @Column({ name: 'actor_type', type: 'varchar', length: 32 })
  actorType!: string;

  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId!: string | null;

  @Column({ name: 'actor_name', type: 'varchar', length: 255 })
  actorName!: string;

  /** scim, cli, sync, admin. */
  @Column({ name: 'door', type: 'varchar', length: 16 })
  door!: string;

  /** e.g. user.create, role.members.add, token.revoke. */
  @Column({ name: 'action', type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_type', type: 'varchar', length: 32 })
  targetType!: string;

  @Column({ name: 'target_id', type: 'varchar', length: 64 })
  targetId!: string;

  @Column({ name: 'target_name', type: 'varchar', length: 255, nullable: true })
  targetName!: string | null;

  /** JSON: the changed attribute names, and for small values their old and new values. */
  @Column({ name: 'changes', type: 'text', nullable: true })
  changes!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64, nullable: true })
  prevHash!: string | null;

  /** SHA-256 hex of the canonical encoding of the fields above and prevHash. */
  @Column({ name: 'hash', type: 'varchar', length: 64, nullable: true })
  hash!: string | null;
}
