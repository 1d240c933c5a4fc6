import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../../src/db/data-source';
import { MailOutboxEntity } from '../../../src/db/entities';
import { transaction } from '../../../src/db/transaction';
import { smtpSender } from '../../../src/governance/mailer';
import { enqueueMail, MailOutbox, type MailOutboxOptions } from '../../../src/governance/outbox';
import { createLogger } from '../../../src/logger';
import { testDatabases } from '../../support/databases';
import { TestMailbox } from '../../support/mailbox';

const FROM = 'scimd <noreply@example.test>';
const BODY = 'Hello Bob,\n\nYour roles in scimd changed.\n\nAdded: Auditor\n';

/** Times are derived from the rows (created_at), never read from the clock. */
const plus = (iso: string, ms: number): Date => new Date(Date.parse(iso) + ms);

for (const database of testDatabases()) {
  describe(`Mail outbox on ${database.name}`, () => {
    let dataSource: DataSource;
    let mailbox: TestMailbox;
    let logLines: string[];
    let counter = 0;
    const workers: MailOutbox[] = [];

    const worker = (options: Partial<MailOutboxOptions> = {}): MailOutbox => {
      const outbox = new MailOutbox(dataSource, {
        sender: smtpSender({ url: mailbox.url, from: FROM }), from: FROM,
        logger: createLogger('debug', { write: (line: string) => logLines.push(line) }),
        random: () => 0, ...options,
      });
      workers.push(outbox);
      return outbox;
    };
    const address = (): string => `person${++counter}@example.test`;
    const enqueue = (to: string, text = BODY): Promise<string> =>
      transaction(dataSource, (manager) => enqueueMail(manager, { to, subject: 'Your roles in scimd changed', text }));
    const row = async (id: string): Promise<MailOutboxEntity> => dataSource.getRepository(MailOutboxEntity).findOneByOrFail({ id });

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      mailbox = await TestMailbox.start();
    });

    beforeEach(async () => {
      logLines = [];
      mailbox.refuse(undefined);
      await mailbox.start();
      await dataSource.query('DELETE FROM mail_outbox');
    });

    afterEach(async () => {
      for (const outbox of workers.splice(0)) await outbox.stop();
      // Whatever a test did, no log line names a recipient or quotes a body.
      for (const line of logLines) {
        expect(line).to.not.match(/person\d+@example\.test/);
        expect(line).to.not.include('Your roles in scimd changed.');
      }
    });

    after(async () => {
      await mailbox.stop();
      await dataSource.destroy();
    });

    it('sends nothing for a mail queued in a transaction that rolls back', async () => {
      const to = address();
      const rolledBack = transaction(dataSource, async (manager) => {
        await enqueueMail(manager, { to, subject: 'Never', text: 'never sent' });
        throw new Error('the change failed');
      });
      const error = await rolledBack.then(() => undefined, (caught: unknown) => caught);
      expect((error as Error | undefined)?.message).to.equal('the change failed');
      expect(await dataSource.getRepository(MailOutboxEntity).count()).to.equal(0);
      expect(await worker().deliverDue(plus(new Date(0).toISOString(), 10 * 365 * 86_400_000))).to.deep.equal({ sent: 0, retrying: 0, failed: 0 });
      expect(mailbox.messagesFor(to)).to.deep.equal([]);
    });

    it('delivers a committed mail once, with its subject, text, From and To', async () => {
      const to = address();
      const id = await enqueue(to);
      const queued = await row(id);
      expect(queued).to.deep.include({ status: 'pending', attempts: 0, recipient: to, sentAt: null });
      const now = plus(queued.createdAt, 1000);

      expect(await worker().deliverDue(now)).to.deep.equal({ sent: 1, retrying: 0, failed: 0 });
      const [mail, ...more] = mailbox.messagesFor(to);
      expect(more).to.deep.equal([]);
      expect(mail).to.deep.include({ envelopeFrom: 'noreply@example.test', from: '"scimd" <noreply@example.test>', to, subject: 'Your roles in scimd changed' });
      expect(mail?.text.trim()).to.equal(BODY.trim());
      expect(await row(id)).to.deep.include({ status: 'sent', attempts: 1, sentAt: now.toISOString(), lastError: null });

      expect(await worker().deliverDue(plus(queued.createdAt, 86_400_000))).to.deep.equal({ sent: 0, retrying: 0, failed: 0 });
      expect(mailbox.messagesFor(to)).to.have.length(1);
    });

    it('keeps a mail through an SMTP outage and delivers it exactly once when the server is back', async () => {
      const to = address();
      const id = await enqueue(to);
      const { createdAt } = await row(id);
      const port = mailbox.port;
      await mailbox.stop();

      const outage = plus(createdAt, 1000);
      expect(await worker().deliverDue(outage)).to.deep.equal({ sent: 0, retrying: 1, failed: 0 });
      const waiting = await row(id);
      expect(waiting).to.deep.include({ status: 'pending', attempts: 1, sentAt: null });
      expect(waiting.nextAttemptAt > outage.toISOString()).to.equal(true);
      expect(waiting.lastError).to.include('ECONNREFUSED');

      await mailbox.start();
      expect(mailbox.port).to.equal(port);
      const justBefore = new Date(Date.parse(waiting.nextAttemptAt) - 1);
      expect(await worker().deliverDue(justBefore)).to.deep.equal({ sent: 0, retrying: 0, failed: 0 });
      expect(mailbox.messagesFor(to)).to.deep.equal([]);

      const later = new Date(Date.parse(waiting.nextAttemptAt));
      expect(await worker().deliverDue(later)).to.deep.equal({ sent: 1, retrying: 0, failed: 0 });
      expect(await worker().deliverDue(plus(createdAt, 86_400_000))).to.deep.equal({ sent: 0, retrying: 0, failed: 0 });
      expect(mailbox.messagesFor(to)).to.have.length(1);
      expect(await row(id)).to.deep.include({ status: 'sent', attempts: 2, sentAt: later.toISOString() });
    });

    it('waits 30 s, then 60 s, then 120 s between attempts while the server is down', async () => {
      const id = await enqueue(address());
      let now = plus((await row(id)).createdAt, 1000);
      await mailbox.stop();
      for (const [attempts, delay] of [[1, 30_000], [2, 60_000], [3, 120_000]] as const) {
        expect(await worker().deliverDue(now)).to.deep.equal({ sent: 0, retrying: 1, failed: 0 });
        const waiting = await row(id);
        expect(waiting).to.deep.include({ status: 'pending', attempts, nextAttemptAt: new Date(now.getTime() + delay).toISOString() });
        now = new Date(waiting.nextAttemptAt);
      }
    });

    it('tries one mail per run while the server cannot be reached, and leaves the others due', async () => {
      const ids = [await enqueue(address()), await enqueue(address()), await enqueue(address())];
      const now = plus((await row(ids[2] as string)).createdAt, 1000);
      await mailbox.stop();
      expect(await worker().deliverDue(now)).to.deep.equal({ sent: 0, retrying: 1, failed: 0 });
      const attempts = await Promise.all(ids.map(async (id) => (await row(id)).attempts));
      expect(attempts.sort()).to.deep.equal([0, 0, 1]);
    });

    it('retries a mail the server refuses for now (451), without the address in last_error', async () => {
      const to = address();
      const other = address();
      const ids = [await enqueue(to), await enqueue(other)];
      const now = plus((await row(ids[1] as string)).createdAt, 1000);
      mailbox.refuse(451);
      // A refusal of one message is not an outage: the run goes on to the next mail.
      expect(await worker().deliverDue(now)).to.deep.equal({ sent: 0, retrying: 2, failed: 0 });
      const refused = await row(ids[0] as string);
      expect(refused).to.deep.include({ status: 'pending', attempts: 1 });
      expect(refused.lastError).to.include('451');
      expect(refused.lastError).to.not.include('@');

      mailbox.refuse(undefined);
      expect(await worker().deliverDue(new Date(refused.nextAttemptAt))).to.deep.equal({ sent: 2, retrying: 0, failed: 0 });
      expect(mailbox.messagesFor(to)).to.have.length(1);
      expect(mailbox.messagesFor(other)).to.have.length(1);
    });

    it('gives a mail up (status failed) when it is still undelivered three days after it was queued', async () => {
      const id = await enqueue(address());
      const { createdAt } = await row(id);
      await mailbox.stop();
      expect(await worker().deliverDue(plus(createdAt, 3 * 86_400_000 - 1))).to.deep.equal({ sent: 0, retrying: 1, failed: 0 });
      const last = await row(id);
      expect(await worker().deliverDue(new Date(last.nextAttemptAt))).to.deep.equal({ sent: 0, retrying: 0, failed: 1 });
      expect(await row(id)).to.deep.include({ status: 'failed', attempts: 2, sentAt: null });
      const warning = logLines.find((line) => line.includes('gave up'));
      expect(JSON.parse(warning ?? '{}')).to.deep.include({ level: 40, mailId: id, attempts: 2 });

      await mailbox.start();
      expect(await worker().deliverDue(plus(createdAt, 30 * 86_400_000))).to.deep.equal({ sent: 0, retrying: 0, failed: 0 });
    });

    it('delivers each mail once when two workers run at the same time (two replicas)', async () => {
      const recipients = Array.from({ length: 8 }, () => address());
      const ids: string[] = [];
      for (const to of recipients) ids.push(await enqueue(to));
      const now = plus((await row(ids[ids.length - 1] as string)).createdAt, 1000);
      const [first, second] = await Promise.all([worker().deliverDue(now), worker().deliverDue(now)]);
      expect((first?.sent ?? 0) + (second?.sent ?? 0)).to.equal(recipients.length);
      for (const to of recipients) expect(mailbox.messagesFor(to), to).to.have.length(1);
      for (const id of ids) expect(await row(id)).to.deep.include({ status: 'sent', attempts: 1 });
    });

    it('start() delivers the backlog and mail queued afterwards, until stop()', async () => {
      const waiting = address();
      await enqueue(waiting);
      const outbox = worker({ intervalMs: 50, nudgeDelayMs: 0, random: Math.random });
      outbox.start();
      await mailbox.waitFor(waiting);
      const queuedLater = address();
      await enqueue(queuedLater);
      await mailbox.waitFor(queuedLater);
      await outbox.stop();
      expect(mailbox.messagesFor(waiting)).to.have.length(1);
      expect(mailbox.messagesFor(queuedLater)).to.have.length(1);
    });
  });
}
