import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A named, time-limited lock shared by every scimd replica on one database (src/db/lease.ts):
 * e.g. only one replica runs the directory sync at a time.
 */
@Entity({ name: 'leases' })
export class LeaseEntity {
  @PrimaryColumn({ name: 'name', type: 'varchar', length: 64 })
  name!: string;

  /** Who holds it: unique per process, e.g. `host:pid:random`. */
  @Column({ name: 'holder', type: 'varchar', length: 255 })
  holder!: string;

  @Column({ name: 'acquired_at', type: 'varchar', length: 24 })
  acquiredAt!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 24 })
  expiresAt!: string;
}
