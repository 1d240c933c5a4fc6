import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { integer, nullableVarchar, text, timestamp, uuidPrimary, varchar } from './columns';

/**
 * The mail outbox: notices are written in the same transaction as the change they announce, and a
 * worker delivers them over SMTP afterwards, retrying with backoff (src/governance/outbox.ts). The
 * index serves the worker's one question, "which pending mails are due".
 */
export class MailOutbox1763900000006 implements MigrationInterface {
  name = 'MailOutbox1763900000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'mail_outbox',
      columns: [
        uuidPrimary(),
        // RFC 5321 §4.5.3.1: a path is at most 256 octets, so an address fits in 320 characters.
        varchar('recipient', 320),
        varchar('subject', 255),
        text('body'),
        varchar('status', 16),
        integer('attempts', { default: 0 }),
        timestamp('next_attempt_at'),
        nullableVarchar('last_error', 1000),
        timestamp('created_at'),
        timestamp('sent_at', { isNullable: true }),
      ],
      indices: [new TableIndex({ name: 'ix_mail_outbox_due', columnNames: ['status', 'next_attempt_at'] })],
    }));
    // As in the initial schema: every table compares binary on MariaDB.
    const type = queryRunner.connection.driver.options.type;
    if (type === 'mariadb' || type === 'mysql') {
      await queryRunner.query('ALTER TABLE `mail_outbox` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mail_outbox');
  }
}
