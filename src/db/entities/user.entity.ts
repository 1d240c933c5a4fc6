import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A person's identity record. The whole SCIM-shaped profile is kept as JSON in `profile`; the
 * attributes that filters, sorting and uniqueness need are copied into their own indexed columns.
 * Timestamps are ISO 8601 UTC strings: portable across SQLite and MariaDB and ordered as text.
 */
@Entity({ name: 'users' })
// The sync finds its users by anchor among AD-sourced ones from the index alone (migration 1763900000009).
@Index('ix_users_source_anchor_source', ['sourceAnchor', 'source'])
export class UserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'user_name', type: 'varchar', length: 255 })
  userName!: string;

  /** userName folded to lower case: SCIM userName is unique case-insensitively (RFC 7643 §4.1.1). */
  @Index('uq_users_user_name_key', { unique: true })
  @Column({ name: 'user_name_key', type: 'varchar', length: 255 })
  userNameKey!: string;

  @Index('ix_users_external_id')
  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName!: string | null;

  @Column({ name: 'given_name', type: 'varchar', length: 255, nullable: true })
  givenName!: string | null;

  @Column({ name: 'family_name', type: 'varchar', length: 255, nullable: true })
  familyName!: string | null;

  @Column({ name: 'title', type: 'varchar', length: 255, nullable: true })
  title!: string | null;

  @Column({ name: 'user_type', type: 'varchar', length: 255, nullable: true })
  userType!: string | null;

  @Column({ name: 'active', type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'employee_number', type: 'varchar', length: 255, nullable: true })
  employeeNumber!: string | null;

  @Column({ name: 'department', type: 'varchar', length: 255, nullable: true })
  department!: string | null;

  @Column({ name: 'organization', type: 'varchar', length: 255, nullable: true })
  organization!: string | null;

  @Column({ name: 'manager_id', type: 'varchar', length: 255, nullable: true })
  managerId!: string | null;

  /** The SCIM-shaped profile (core and enterprise attributes) as JSON text. */
  @Column({ name: 'profile', type: 'text' })
  profile!: string;

  /** scrypt hash of a password an IdP sent; never returned (RFC 7643 §4.1.1 `returned: never`). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash!: string | null;

  /** Which door created and owns the record: scim, ad (sync) or local. */
  @Column({ name: 'source', type: 'varchar', length: 16, default: 'scim' })
  source!: string;

  /** The directory's stable id (AD objectGUID) for AD-sourced users. */
  @Column({ name: 'source_anchor', type: 'varchar', length: 64, nullable: true })
  sourceAnchor!: string | null;

  /** The directory DN at the last sync, for AD-sourced users (resolves group members in delta runs). No index: DNs are long. */
  @Column({ name: 'source_dn', type: 'varchar', length: 1024, nullable: true })
  sourceDn!: string | null;

  /** Bumped on every change; the weak ETag `W/"<version>"`. */
  @Column({ name: 'version', type: 'integer', default: 1 })
  version!: number;

  @Index('ix_users_created_at')
  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Index('ix_users_updated_at')
  @Column({ name: 'updated_at', type: 'varchar', length: 24 })
  updatedAt!: string;
}
