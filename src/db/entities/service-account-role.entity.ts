import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RoleEntity } from './role.entity';
import { ServiceAccountEntity } from './service-account.entity';

/** A role held by a service account; the account may do the union of its roles' permissions. */
@Entity({ name: 'service_account_roles' })
export class ServiceAccountRoleEntity {
  @PrimaryColumn({ name: 'account_id', type: 'varchar', length: 36 })
  accountId!: string;

  @Index('ix_service_account_roles_role_id')
  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 36 })
  roleId!: string;

  @ManyToOne(() => ServiceAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'fk_service_account_roles_account' })
  account?: ServiceAccountEntity;

  /** RESTRICT: a role held by a service account cannot be deleted out from under it. */
  @ManyToOne(() => RoleEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'role_id', foreignKeyConstraintName: 'fk_service_account_roles_role' })
  role?: RoleEntity;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;
}
