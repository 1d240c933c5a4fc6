import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RoleEntity } from './role.entity';
import { UserEntity } from './user.entity';

/**
 * A person's membership of a role. `source` records which door granted it: an AD-sourced
 * membership belongs to the sync and is read-only to SCIM writers.
 */
@Entity({ name: 'role_members' })
export class RoleMemberEntity {
  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 36 })
  roleId!: string;

  @Index('ix_role_members_user_id')
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => RoleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'role_id', foreignKeyConstraintName: 'fk_role_members_role' })
  role?: RoleEntity;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_role_members_user' })
  user?: UserEntity;

  @Column({ name: 'source', type: 'varchar', length: 16, default: 'scim' })
  source!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;
}
