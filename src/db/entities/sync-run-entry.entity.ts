import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { SyncRunEntity } from './sync-run.entity';

/**
 * One line of a sync run's report: what the run did (or, in a dry run, would do) to one object.
 * `dn` has no index: DNs are long (MariaDB index prefixes), and reports are read by run and action.
 */
@Entity({ name: 'sync_run_entries' })
@Index('ix_sync_run_entries_run_action', ['runId', 'action'])
export class SyncRunEntryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'run_id', type: 'varchar', length: 36 })
  runId!: string;

  @ManyToOne(() => SyncRunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'fk_sync_run_entries_run' })
  run?: SyncRunEntity;

  /** The directory's stable id (objectGUID) of the object. */
  @Column({ name: 'anchor', type: 'varchar', length: 64 })
  anchor!: string;

  @Column({ name: 'dn', type: 'varchar', length: 1024, nullable: true })
  dn!: string | null;

  /** user or role. */
  @Column({ name: 'object_type', type: 'varchar', length: 8 })
  objectType!: string;

  /** create, update, deactivate, delete, reactivate, skip, error, member-add or member-remove. */
  @Column({ name: 'action', type: 'varchar', length: 16 })
  action!: string;

  /** JSON array of {attribute, from?, to?}; secrets never appear. */
  @Column({ name: 'changes', type: 'text' })
  changes!: string;

  @Column({ name: 'message', type: 'text', nullable: true })
  message!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;
}
