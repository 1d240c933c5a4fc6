import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A role, served over SCIM as a Group. System roles are seeded by a migration and immutable. */
@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255 })
  displayName!: string;

  /** displayName folded to lower case: role names are unique case-insensitively. */
  @Index('uq_roles_display_name_key', { unique: true })
  @Column({ name: 'display_name_key', type: 'varchar', length: 255 })
  displayNameKey!: string;

  @Column({ name: 'description', type: 'text', nullable: true })
  description!: string | null;

  /** system (seeded, immutable) or custom. */
  @Column({ name: 'kind', type: 'varchar', length: 16, default: 'custom' })
  kind!: string;

  /** Who may hold the role: person, service or any. */
  @Column({ name: 'assignable_to', type: 'varchar', length: 16, default: 'any' })
  assignableTo!: string;

  /** normal or high: granting a high-risk role is a governed change (four-eyes approval). */
  @Column({ name: 'risk', type: 'varchar', length: 16, default: 'normal' })
  risk!: string;

  /**
   * Whose roles the role's holders manage, and so which roles they may assign: all, none, or
   * selected (listed in managedRoles). Users holding no role are managed by every manager.
   */
  @Column({ name: 'manages', type: 'varchar', length: 16, default: 'none' })
  manages!: string;

  /** JSON array of role ids when `manages` is selected. */
  @Column({ name: 'managed_roles', type: 'text', nullable: true })
  managedRoles!: string | null;

  /** JSON array of permission names (see src/auth/permissions.ts). */
  @Column({ name: 'permissions', type: 'text' })
  permissions!: string;

  @Index('ix_roles_external_id')
  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ name: 'source', type: 'varchar', length: 16, default: 'scim' })
  source!: string;

  @Index('ix_roles_source_anchor')
  @Column({ name: 'source_anchor', type: 'varchar', length: 64, nullable: true })
  sourceAnchor!: string | null;

  @Column({ name: 'version', type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 24 })
  updatedAt!: string;
}
