import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One Active Directory sync run: what started it, how it went, and its counters. The counters of
 * actions (created … memberRemoves) are counted from the run's entries when the run finishes, so a
 * report's totals always equal its lines; `read` and `unchanged` are facts the runner reports.
 * Column names avoid SQL reserved words (`trigger`, `read`): hence `triggered_by` and `*_count`.
 */
@Entity({ name: 'sync_runs' })
export class SyncRunEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** schedule, cli or api. */
  @Column({ name: 'triggered_by', type: 'varchar', length: 16 })
  trigger!: string;

  /** full or delta. */
  @Column({ name: 'mode', type: 'varchar', length: 8 })
  mode!: string;

  /** Why the run is full although a delta was asked for (no watermark, another DC, …). */
  @Column({ name: 'mode_reason', type: 'varchar', length: 255, nullable: true })
  modeReason!: string | null;

  @Column({ name: 'dry_run', type: 'boolean', default: false })
  dryRun!: boolean;

  /** running, succeeded, failed or blocked. */
  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: string;

  @Index('ix_sync_runs_started_at')
  @Column({ name: 'started_at', type: 'varchar', length: 24 })
  startedAt!: string;

  @Column({ name: 'finished_at', type: 'varchar', length: 24, nullable: true })
  finishedAt!: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  /** The domain controller that answered. */
  @Column({ name: 'server', type: 'varchar', length: 255, nullable: true })
  server!: string | null;

  /** The DC's invocationId; a delta continues only on the same one. */
  @Column({ name: 'invocation_id', type: 'varchar', length: 64, nullable: true })
  invocationId!: string | null;

  /** USNs as decimal text: 64-bit numbers come back differently from each driver. */
  @Column({ name: 'usn_from', type: 'varchar', length: 20, nullable: true })
  usnFrom!: string | null;

  @Column({ name: 'usn_to', type: 'varchar', length: 20, nullable: true })
  usnTo!: string | null;

  @Column({ name: 'read_count', type: 'integer', default: 0 })
  readCount!: number;

  @Column({ name: 'created_count', type: 'integer', default: 0 })
  createdCount!: number;

  @Column({ name: 'updated_count', type: 'integer', default: 0 })
  updatedCount!: number;

  @Column({ name: 'deactivated_count', type: 'integer', default: 0 })
  deactivatedCount!: number;

  @Column({ name: 'deleted_count', type: 'integer', default: 0 })
  deletedCount!: number;

  @Column({ name: 'reactivated_count', type: 'integer', default: 0 })
  reactivatedCount!: number;

  @Column({ name: 'unchanged_count', type: 'integer', default: 0 })
  unchangedCount!: number;

  @Column({ name: 'skipped_count', type: 'integer', default: 0 })
  skippedCount!: number;

  @Column({ name: 'error_count', type: 'integer', default: 0 })
  errorCount!: number;

  @Column({ name: 'member_add_count', type: 'integer', default: 0 })
  memberAddCount!: number;

  @Column({ name: 'member_remove_count', type: 'integer', default: 0 })
  memberRemoveCount!: number;

  /** Why the run failed or was blocked. */
  @Column({ name: 'message', type: 'text', nullable: true })
  message!: string | null;

  /** Who started it: the Batch sync account, `cli:<os user>`, or the API caller's service account. */
  @Column({ name: 'actor_name', type: 'varchar', length: 255 })
  actorName!: string;
}
