import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One e-mail waiting in (or delivered from) the outbox. It is inserted in the transaction of the
 * change it announces, so it exists exactly when the change does; src/governance/outbox.ts
 * delivers it. Holds only what sending needs: the address, the subject and the text.
 */
@Entity({ name: 'mail_outbox' })
@Index('ix_mail_outbox_due', ['status', 'nextAttemptAt'])
export class MailOutboxEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'recipient', type: 'varchar', length: 320 })
  recipient!: string;

  @Column({ name: 'subject', type: 'varchar', length: 255 })
  subject!: string;

  /** Plain text. Never logged. */
  @Column({ name: 'body', type: 'text' })
  body!: string;

  /** pending (waiting or being delivered), sent, or failed (given up after the retry limit). */
  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: string;

  /** Delivery attempts started, the successful one included. */
  @Column({ name: 'attempts', type: 'integer', default: 0 })
  attempts!: number;

  /** When a worker may next try it; while one is sending it, the end of that worker's claim. */
  @Column({ name: 'next_attempt_at', type: 'varchar', length: 24 })
  nextAttemptAt!: string;

  /** Why the last attempt failed, with addresses removed. */
  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'sent_at', type: 'varchar', length: 24, nullable: true })
  sentAt!: string | null;
}
