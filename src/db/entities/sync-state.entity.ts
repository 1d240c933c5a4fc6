import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where the next delta sync starts: the DC's invocationId and the highest committed USN it had
 * when the last successful run read it. One row per directory (`ad`). The column is `state_key`
 * because KEY is a reserved word in MariaDB.
 */
@Entity({ name: 'sync_state' })
export class SyncStateEntity {
  @PrimaryColumn({ name: 'state_key', type: 'varchar', length: 32 })
  key!: string;

  @Column({ name: 'invocation_id', type: 'varchar', length: 64 })
  invocationId!: string;

  /** Decimal text: USNs are 64-bit. */
  @Column({ name: 'usn', type: 'varchar', length: 20 })
  usn!: string;

  /** The run that reached this watermark. */
  @Column({ name: 'run_id', type: 'varchar', length: 36, nullable: true })
  runId!: string | null;

  @Column({ name: 'updated_at', type: 'varchar', length: 24 })
  updatedAt!: string;
}
