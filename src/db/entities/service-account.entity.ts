import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A non-personal identity: an IdP's SCIM client, the sync job, an integration. */
@Entity({ name: 'service_accounts' })
export class ServiceAccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'name', type: 'varchar', length: 100 })
  name!: string;

  @Index('uq_service_accounts_name_key', { unique: true })
  @Column({ name: 'name_key', type: 'varchar', length: 100 })
  nameKey!: string;

  @Column({ name: 'description', type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  /** Set when the account is disabled: its tokens stop working. */
  @Column({ name: 'disabled_at', type: 'varchar', length: 24, nullable: true })
  disabledAt!: string | null;
}
