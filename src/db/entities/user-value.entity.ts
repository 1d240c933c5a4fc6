import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { UserEntity } from './user.entity';

/**
 * One value of a multi-valued user attribute (emails, phoneNumbers, ims, entitlements, roles),
 * kept so that filters such as `emails.value eq "…"` run as indexed SQL instead of scanning JSON.
 * The profile JSON stays the source of truth; these rows are rewritten with it.
 */
@Entity({ name: 'user_values' })
@Index('ix_user_values_lookup', ['attribute', 'valueKey'])
export class UserValueEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Index('ix_user_values_user_id')
  @Column({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_values_user' })
  user?: UserEntity;

  @Column({ name: 'attribute', type: 'varchar', length: 32 })
  attribute!: string;

  @Column({ name: 'type', type: 'varchar', length: 64, nullable: true })
  type!: string | null;

  @Column({ name: 'is_primary', type: 'boolean', default: false })
  primary!: boolean;

  @Column({ name: 'value', type: 'varchar', length: 512, nullable: true })
  value!: string | null;

  /** `value` folded to lower case, for the case-insensitive comparisons of emails and the like. */
  @Column({ name: 'value_key', type: 'varchar', length: 512, nullable: true })
  valueKey!: string | null;
}
