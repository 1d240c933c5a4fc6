import { expect } from 'chai';
import type { Config } from '../../../src/config';
import { transaction } from '../../../src/db/transaction';
import { enqueueMail } from '../../../src/governance/outbox';
import { createLogger } from '../../../src/logger';
import { startServer } from '../../../src/server';
import { testDatabases } from '../../support/databases';
import { TestMailbox } from '../../support/mailbox';

for (const database of testDatabases()) {
  describe(`The server's mail worker on ${database.name}`, () => {
    const configFor = async (mail?: Config['mail']): Promise<Config> => ({
      host: '127.0.0.1', port: 0, publicUrl: undefined, database: await database.fresh(), migrateOnStart: true,
      logLevel: 'info', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 2000,
      governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 }, ...(mail ? { mail } : {}),
    });

    it('says once at start that notices are queued but not sent when SMTP_URL is not set', async () => {
      const lines: string[] = [];
      const running = await startServer(await configFor(), createLogger('info', { write: (line: string) => lines.push(line) }));
      await transaction(running.dataSource, (manager) => enqueueMail(manager, { to: 'kept@example.test', subject: 'Kept', text: 'kept' }));
      await running.stop();
      expect(lines.filter((line) => line.includes('queued in the outbox but not sent'))).to.have.length(1);
      expect(lines.filter((line) => line.includes('mail outbox'))).to.deep.equal([]);
    });

    it('delivers a notice queued while it runs, and stops its worker before the database closes', async () => {
      const mailbox = await TestMailbox.start();
      const lines: string[] = [];
      try {
        const running = await startServer(await configFor({ url: mailbox.url, from: 'scimd <noreply@example.test>' }),
          createLogger('info', { write: (line: string) => lines.push(line) }));
        await transaction(running.dataSource, (manager) => enqueueMail(manager, { to: 'ivy@example.test', subject: 'Hello', text: 'hello' }));
        const [mail] = await mailbox.waitFor('ivy@example.test');
        expect(mail?.subject).to.equal('Hello');
        await running.stop();
        expect(lines.some((line) => line.includes('delivering the outbox over SMTP'))).to.equal(true);
        expect(lines.some((line) => line.includes('delivery run failed'))).to.equal(false);
        expect(lines.at(-1)).to.include('scimd stopped');
      } finally {
        await mailbox.stop();
      }
    });
  });
}
