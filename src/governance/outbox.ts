import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { LessThanOrEqual, type DataSource, type EntityManager } from 'typeorm';
import { MailOutboxEntity } from '../db/entities';
import { OutageLog } from '../db/outage-log';
import { alone } from '../db/transaction';
import type { MailConfig } from '../config';
import type { Logger } from '../logger';
import { smtpSender, type MailSender } from './mailer';

/**
 * The transactional outbox for e-mail. A notice is a row written with the caller's transaction
 * manager, so it commits or rolls back with the change it announces; a worker (MailOutbox) sends the
 * committed rows afterwards. Delivery is at least once: a row leaves `pending` only after the SMTP
 * server accepted the message, so an outage (or a crash in mid-send) delays mail and loses none.
 *
 * Claiming without locks: a worker takes a due row with one UPDATE that moves `next_attempt_at` from
 * the value it read to the end of its claim (now + CLAIM_MS) and counts the attempt. Two replicas
 * that read the same row race on that compare-and-set and only one matches; the row stays `pending`,
 * so if its worker dies it is due again when the claim runs out. Every later write names the claim
 * it holds (`next_attempt_at = claim`), so a worker that lost its row changes nothing.
 */

export interface MailToSend {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** A single address `local@domain`: no display name, no list, nothing a header could be built from. */
const ADDRESS = /^[^\s@<>()[\]",;:\\]+@[^\s@<>()[\]",;:\\]+\.[^\s@<>()[\]",;:\\]+$/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** RFC 5321 §4.5.3.1: a path is at most 256 octets; the column holds 320 characters. */
const MAX_ADDRESS_LENGTH = 254;
const MAX_SUBJECT_LENGTH = 255;
/** The `text` column holds 64 KiB on MariaDB. */
const MAX_BODY_BYTES = 60_000;

/** True for an address the outbox accepts as a recipient. */
export function isMailAddress(value: string): boolean {
  return value.length <= MAX_ADDRESS_LENGTH && ADDRESS.test(value);
}

/** Nudges the workers of this process after an enqueue (see MailOutbox.start). */
const queued = new EventEmitter();

/**
 * Puts a mail into the outbox within the caller's transaction (`manager`); returns its id. Nothing
 * is sent before that transaction commits, and nothing at all if it rolls back. Throws a RangeError
 * (without quoting the mail) for an invalid address, an empty or multi-line subject, or a body
 * over 60,000 bytes.
 */
export async function enqueueMail(manager: EntityManager, mail: MailToSend): Promise<string> {
  if (!isMailAddress(mail.to)) throw new RangeError('A mail recipient must be one address, local@domain');
  if (mail.subject.trim() === '' || mail.subject.length > MAX_SUBJECT_LENGTH || CONTROL_CHARACTERS.test(mail.subject)) {
    throw new RangeError(`A mail subject is one line of 1-${MAX_SUBJECT_LENGTH} characters`);
  }
  if (Buffer.byteLength(mail.text) > MAX_BODY_BYTES) throw new RangeError(`A mail body is at most ${MAX_BODY_BYTES} bytes`);
  const id = randomUUID();
  const now = new Date().toISOString();
  await manager.createQueryBuilder().insert().into(MailOutboxEntity).values({
    id, recipient: mail.to, subject: mail.subject, body: mail.text, status: 'pending', attempts: 0,
    nextAttemptAt: now, lastError: null, createdAt: now, sentAt: null,
  }).updateEntity(false).execute();
  queued.emit('queued');
  return id;
}

export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_CAP_MS = 60 * 60_000;

/**
 * How long to wait after the `attempts`-th failed attempt: 30 s doubling per attempt up to 1 h,
 * less up to a quarter at random (so replicas and mails queued together spread out), never more
 * than the cap. `random` is in [0, 1), as Math.random.
 */
export function backoffDelayMs(attempts: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempts, 32) - 1);
  const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** exponent);
  return Math.round(delay * (1 - 0.25 * random()));
}

export interface MailOutboxOptions {
  readonly sender: MailSender;
  /** MAIL_FROM. */
  readonly from: string;
  readonly logger: Logger;
  /** Rows read per query. Default 10. */
  readonly batchSize?: number;
  /** Most rows one deliverDue call attempts. Default 200. */
  readonly maxPerRun?: number;
  /** How long a claim holds a row while it is being sent. Default 5 minutes (well above the SMTP timeouts). */
  readonly claimMs?: number;
  /** A mail still undelivered this long after it was queued is marked failed. Default 3 days. */
  readonly giveUpAfterMs?: number;
  /** start(): how often the worker looks for due mail. Default 15 s. */
  readonly intervalMs?: number;
  /**
   * start(): how long after an enqueue in this process the worker looks. Default 1 s: the nudge comes
   * before the enqueuing transaction commits, and a run that starts before the commit sees nothing
   * (the interval then finds the row).
   */
  readonly nudgeDelayMs?: number;
  /** For the backoff's jitter. Default Math.random. */
  readonly random?: () => number;
}

/** What one deliverDue call did. */
export interface DeliveryReport {
  readonly sent: number;
  /** Attempts that failed and will be retried after their backoff. */
  readonly retrying: number;
  /** Mails given up (status failed). */
  readonly failed: number;
}

type Claimed = Pick<MailOutboxEntity, 'id' | 'recipient' | 'subject' | 'body' | 'attempts' | 'createdAt'> & { claim: string };

/** Delivers the outbox: deliverDue() once, or start() to keep doing so until stop(). */
export class MailOutbox {
  private readonly batchSize: number;
  private readonly maxPerRun: number;
  private readonly claimMs: number;
  private readonly giveUpAfterMs: number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private nudgeTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private runAgain = false;
  private stopping = false;
  /** A database outage is logged when it begins and ends, not on every tick in between. */
  private readonly outages: OutageLog;

  constructor(private readonly dataSource: DataSource, private readonly options: MailOutboxOptions) {
    this.outages = new OutageLog(options.logger, 'mail outbox');
    this.batchSize = options.batchSize ?? 10;
    this.maxPerRun = options.maxPerRun ?? 200;
    this.claimMs = options.claimMs ?? 5 * 60_000;
    this.giveUpAfterMs = options.giveUpAfterMs ?? 3 * 24 * 60 * 60_000;
    this.random = options.random ?? Math.random;
  }

  /**
   * Sends the mails due at `now` (pending, next attempt not after `now`), oldest due first, in
   * batches, up to maxPerRun. A mail the server refuses is retried after its backoff; when the
   * server cannot be reached (or refuses the login), the rest wait for the next run instead of each
   * timing out in turn. Never throws for a mail that could not be sent; throws when the database fails.
   */
  async deliverDue(now: Date = new Date()): Promise<DeliveryReport> {
    const report = { sent: 0, retrying: 0, failed: 0 };
    const nowIso = now.toISOString();
    let attempted = 0;
    while (attempted < this.maxPerRun && !this.stopping) {
      const due = await alone(this.dataSource, (manager) => manager.find(MailOutboxEntity, {
        where: { status: 'pending', nextAttemptAt: LessThanOrEqual(nowIso) },
        order: { nextAttemptAt: 'ASC', id: 'ASC' },
        take: Math.min(this.batchSize, this.maxPerRun - attempted),
      }));
      if (due.length === 0) break;
      for (const row of due) {
        if (this.stopping) break;
        const mail = await this.claim(row, now);
        // Each row read is either claimed here or no longer due (another worker claimed or sent it).
        attempted++;
        if (!mail) continue;
        const outcome = await this.attempt(mail, now);
        report[outcome.result]++;
        if (outcome.serverUnavailable) return report;
      }
    }
    return report;
  }

  /** Runs deliverDue now, every intervalMs, and shortly after each enqueue in this process, until stop(). */
  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => this.wake(), this.options.intervalMs ?? 15_000);
    this.timer.unref();
    queued.on('queued', this.onQueued);
    this.wake();
  }

  /** Stops the worker: no new run starts, a running one ends after the mail it is sending. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearTimeout(this.nudgeTimer);
    queued.off('queued', this.onQueued);
    await this.running;
    this.options.sender.close();
  }

  private readonly onQueued = (): void => {
    if (this.nudgeTimer || this.stopping) return;
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = undefined;
      this.wake();
    }, this.options.nudgeDelayMs ?? 1000);
    this.nudgeTimer.unref();
  };

  /** One run at a time per worker; a wake-up during a run makes one more run after it. */
  private wake(): void {
    if (this.stopping) return;
    if (this.running) {
      this.runAgain = true;
      return;
    }
    this.running = this.deliverDue().then(() => this.outages.succeeded(), (error: unknown) => {
      if (!this.outages.failed(error)) this.options.logger.error({ err: error }, 'mail outbox: delivery run failed');
    }).finally(() => {
      this.running = undefined;
      if (this.runAgain) {
        this.runAgain = false;
        this.wake();
      }
    });
  }

  /** Takes the row for this worker (see the header); undefined when another worker was first. */
  private async claim(row: MailOutboxEntity, now: Date): Promise<Claimed | undefined> {
    const claim = new Date(now.getTime() + this.claimMs).toISOString();
    const result = await alone(this.dataSource, (manager) => manager.createQueryBuilder().update(MailOutboxEntity)
      .set({ nextAttemptAt: claim, attempts: () => 'attempts + 1' })
      .where('id = :id AND status = :pending AND next_attempt_at = :seen', { id: row.id, pending: 'pending', seen: row.nextAttemptAt })
      .execute());
    if (result.affected !== 1) return undefined;
    return { ...row, attempts: row.attempts + 1, claim };
  }

  private async attempt(mail: Claimed, now: Date): Promise<{ result: keyof DeliveryReport; serverUnavailable: boolean }> {
    const { logger } = this.options;
    try {
      await this.options.sender.send({ from: this.options.from, to: mail.recipient, subject: mail.subject, text: mail.body });
    } catch (error) {
      const problem = describeSmtpError(error);
      const serverUnavailable = problem.responseCode === undefined || problem.responseCode === 421 || problem.code === 'EAUTH';
      if (now.getTime() - Date.parse(mail.createdAt) >= this.giveUpAfterMs) {
        await this.settle(mail, { status: 'failed', nextAttemptAt: now.toISOString(), lastError: problem.message });
        logger.warn({ mailId: mail.id, attempts: mail.attempts, queuedAt: mail.createdAt, error: problem },
          'mail outbox: gave up on a mail after the retry limit (status failed)');
        return { result: 'failed', serverUnavailable };
      }
      const nextAttemptAt = new Date(now.getTime() + backoffDelayMs(mail.attempts, this.random)).toISOString();
      await this.settle(mail, { status: 'pending', nextAttemptAt, lastError: problem.message });
      logger.warn({ mailId: mail.id, attempts: mail.attempts, nextAttemptAt, error: problem }, 'mail outbox: sending failed, will retry');
      return { result: 'retrying', serverUnavailable };
    }
    await this.settle(mail, { status: 'sent', sentAt: now.toISOString(), lastError: null });
    logger.info({ mailId: mail.id, attempts: mail.attempts }, 'mail outbox: mail sent');
    return { result: 'sent', serverUnavailable: false };
  }

  /** Writes the outcome, if this worker still holds the row's claim. */
  private async settle(mail: Claimed, values: Partial<MailOutboxEntity>): Promise<void> {
    const result = await alone(this.dataSource, (manager) => manager.createQueryBuilder().update(MailOutboxEntity)
      .set(values)
      .where('id = :id AND next_attempt_at = :claim', { id: mail.id, claim: mail.claim })
      .execute());
    if (result.affected !== 1) {
      this.options.logger.warn({ mailId: mail.id }, 'mail outbox: a claim ran out while sending; another worker may send the mail again');
    }
  }
}

/**
 * The server's mail worker: started when SMTP is configured (SMTP_URL, MAIL_FROM). Without it,
 * notices are still queued (and sent once SMTP is configured); that is said once, here.
 */
export function startMailDelivery(dataSource: DataSource, mail: MailConfig | undefined, logger: Logger): MailOutbox | undefined {
  if (!mail) {
    logger.info('mail notices are queued in the outbox but not sent: SMTP_URL is not set');
    return undefined;
  }
  const outbox = new MailOutbox(dataSource, { sender: smtpSender(mail), from: mail.from, logger });
  outbox.start();
  const url = new URL(mail.url);
  // The server only: the URL may carry a login.
  logger.info({ smtp: `${url.protocol}//${url.host}` }, 'mail notices: delivering the outbox over SMTP');
  return outbox;
}

export interface SmtpProblem {
  readonly type: string;
  readonly code?: string;
  readonly responseCode?: number;
  /** The message with addresses taken out (servers quote the rejected recipient), at most 1,000 characters. */
  readonly message: string;
}

/** What may be logged and stored of a send failure: no address, no message text. */
export function describeSmtpError(error: unknown): SmtpProblem {
  const { name, message, code, responseCode } = (typeof error === 'object' && error !== null ? error : {}) as
    { name?: unknown; message?: unknown; code?: unknown; responseCode?: unknown };
  const text = (typeof message === 'string' ? message : String(error))
    .replace(/<[^<>]*>/g, '<address>')
    .replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;:]+/g, 'address')
    .slice(0, 1000);
  return {
    type: typeof name === 'string' ? name : 'Error',
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
    message: text,
  };
}
