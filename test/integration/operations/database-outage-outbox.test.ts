import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../../src/db/data-source';
import { transaction } from '../../../src/db/transaction';
import { smtpSender } from '../../../src/governance/mailer';
import { enqueueMail, MailOutbox, type DeliveryReport } from '../../../src/governance/outbox';
import { createLogger } from '../../../src/logger';
import { TestMailbox } from '../../support/mailbox';
import { MariadbServer } from '../../support/mariadb-server';

const FROM = 'scimd <noreply@example.test>';
const TICK_MS = 50;
const FAILED_TICKS = 10;
const DEADLINE_MS = 15_000;

/** The real worker, counting its runs so that the test can wait for ticks instead of for time. */
class ObservedOutbox extends MailOutbox {
  readonly ran = new EventEmitter();
  failedRuns = 0;

  override async deliverDue(now?: Date): Promise<DeliveryReport> {
    try {
      return await super.deliverDue(now);
    } catch (error) {
      this.failedRuns++;
      throw error;
    } finally {
      this.ran.emit('run');
    }
  }
}

/**
 * Issue 11, "Database outage", for a background loop: the mail outbox worker of a running process
 * (ticking every 50 ms here) meets a killed database, says so once for many ticks, and delivers
 * again once the database is back, without a restart.
 */
describe('Database outage under the mail outbox worker (private MariaDB)', function () {
  this.timeout(60_000);
  let database: MariadbServer | undefined;
  let dataSource: DataSource | undefined;
  let mailbox: TestMailbox | undefined;
  let outbox: ObservedOutbox | undefined;
  const lines: Record<string, unknown>[] = [];

  before(async function () {
    this.timeout(90_000);
    database = await MariadbServer.start();
    dataSource = await openDataSource({ kind: 'mariadb', url: database.url });
    await dataSource.runMigrations();
    mailbox = await TestMailbox.start();
  });

  after(async () => {
    await outbox?.stop();
    await dataSource?.destroy().catch(() => undefined);
    await mailbox?.stop();
    await database?.remove();
  });

  it('logs the outage once over many failed ticks, and delivers mail queued after it', async () => {
    const db = required(database);
    const worker = new ObservedOutbox(required(dataSource), {
      sender: smtpSender({ url: required(mailbox).url, from: FROM }), from: FROM, intervalMs: TICK_MS, nudgeDelayMs: 10,
      logger: createLogger('debug', { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    outbox = worker;
    worker.start();

    await db.kill('SIGKILL');
    await until(worker.ran, 'run', () => worker.failedRuns >= FAILED_TICKS, `${FAILED_TICKS} failed runs`);
    const messages = (): string[] => lines.map((line) => String(line.msg));
    expect(messages().filter((msg) => msg.startsWith('mail outbox: the database cannot be reached')), JSON.stringify(lines)).to.have.length(1);
    expect(messages(), 'no error line per tick').to.not.include('mail outbox: delivery run failed');

    await db.restart();
    const to = 'after.outage@example.test';
    await transaction(required(dataSource), (manager) => enqueueMail(manager, { to, subject: 'Your roles in scimd changed', text: 'Hello\n' }));
    await required(mailbox).waitFor(to);
    // The worker says the database answers again when its first successful run ends, and the run
    // that delivered the mail may be that one, still settling the row after the server took it:
    // wait for the line (each later run ends after the one before was reported) instead of expecting it now.
    const answersAgain = (): string[] => messages().filter((msg) => msg === 'mail outbox: the database answers again');
    await until(worker.ran, 'run', () => answersAgain().length > 0, 'the line saying the database answers again');
    expect(answersAgain(), JSON.stringify(lines)).to.have.length(1);
    expect(messages().filter((msg) => msg.startsWith('mail outbox: the database cannot be reached'))).to.have.length(1);
  });
});

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the suite did not start');
  return value;
}

/** Resolves when `condition` holds, checked on each `event`; rejects after DEADLINE_MS. */
function until(emitter: EventEmitter, event: string, condition: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!condition()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`${what} did not happen within ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
    emitter.on(event, check);
    check();
  });
}
