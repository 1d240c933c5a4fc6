import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The head of the audit hash chain: one row (id 1), the seq and hash of the last audit event.
 * Appenders lock it (src/governance/audit.ts), which serialises them; the verifier compares the
 * chain's end with it, so that rows removed from the end are noticed.
 */
@Entity({ name: 'audit_chain' })
export class AuditChainEntity {
  @PrimaryColumn({ name: 'id', type: 'integer' })
  id!: number;

  @Column({ name: 'last_seq', type: 'integer' })
  lastSeq!: number;

  /** Null while the log is empty. */
  @Column({ name: 'last_hash', type: 'varchar', length: 64, nullable: true })
  lastHash!: string | null;
}
