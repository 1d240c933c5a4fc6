import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { openDataSource } from '../../../src/db/data-source';
import { MailOutboxEntity } from '../../../src/db/entities';
import { transaction } from '../../../src/db/transaction';
import { smtpSender } from '../../../src/governance/mailer';
import { enqueueRoleChangeNotice, ROLE_CHANGE_SUBJECT } from '../../../src/governance/notices';
import { MailOutbox } from '../../../src/governance/outbox';
import { localOperatorContext } from '../../../src/identity/change-context';
import type { UserProfile } from '../../../src/identity/user-profile';
import { UserDirectory } from '../../../src/identity/users';
import { createLogger } from '../../../src/logger';
import { testDatabases } from '../../support/databases';
import { TestMailbox } from '../../support/mailbox';

const FROM = 'noreply@example.test';

for (const database of testDatabases()) {
  describe(`Role change notices on ${database.name}`, () => {
    let dataSource: DataSource;
    let mailbox: TestMailbox;
    let outbox: MailOutbox;
    let users: UserDirectory;

    const createUser = async (profile: UserProfile): Promise<string> => (await users.create(localOperatorContext('test'), { profile })).id;
    /** Far enough ahead of every row written in this suite; read from no clock. */
    const later = new Date('2999-01-01T00:00:00.000Z');

    before(async () => {
      dataSource = await openDataSource(await database.fresh());
      await dataSource.runMigrations();
      users = new UserDirectory(dataSource);
      mailbox = await TestMailbox.start();
      outbox = new MailOutbox(dataSource, { sender: smtpSender({ url: mailbox.url, from: FROM }), from: FROM, logger: createLogger('silent') });
    });

    after(async () => {
      await outbox.stop();
      await mailbox.stop();
      await dataSource.destroy();
    });

    it("puts the notice in Bob's mailbox, at his primary address", async () => {
      const bob = await createUser({
        userName: 'bob', name: { givenName: 'Bob' },
        emails: [{ value: 'bob.home@example.test', type: 'home' }, { value: 'bob@example.test', type: 'work', primary: true }],
      });
      const result = await transaction(dataSource, (manager) => enqueueRoleChangeNotice(manager, {
        userId: bob, added: ['Auditor'], removed: ['Operator'], changedBy: 'alice', approvedBy: 'carol', changeRequestId: 'cr-7',
      }));
      expect(result).to.have.property('queued', true);
      await outbox.deliverDue(later);
      const [notice, ...more] = mailbox.messagesFor('bob@example.test');
      expect(more).to.deep.equal([]);
      expect(notice?.subject).to.equal(ROLE_CHANGE_SUBJECT);
      expect(notice?.text).to.include('Hello Bob,');
      for (const line of ['Added: Auditor', 'Removed: Operator', 'Changed by: alice', 'Approved by: carol', 'Change request: cr-7']) {
        expect(notice?.text).to.include(line);
      }
      expect(mailbox.messagesFor('bob.home@example.test')).to.deep.equal([]);
    });

    it('writes to the first address when none is primary', async () => {
      const dana = await createUser({ userName: 'dana', emails: [{ value: 'dana.one@example.test' }, { value: 'dana.two@example.test' }] });
      const result = await transaction(dataSource, (manager) =>
        enqueueRoleChangeNotice(manager, { userId: dana, added: [], removed: ['Auditor'], changedBy: 'alice' }));
      expect(result).to.have.property('queued', true);
      await outbox.deliverDue(later);
      expect(mailbox.messagesFor('dana.one@example.test')).to.have.length(1);
      expect(mailbox.messagesFor('dana.two@example.test')).to.deep.equal([]);
    });

    it('queues nothing, and says why, for a user without an address, an unknown user or no change', async () => {
      const erin = await createUser({ userName: 'erin' });
      const frank = await createUser({ userName: 'frank', emails: [{ value: 'frank@example.test' }] });
      const before = await dataSource.getRepository(MailOutboxEntity).count();
      const results = await transaction(dataSource, async (manager) => [
        await enqueueRoleChangeNotice(manager, { userId: erin, added: ['Auditor'], removed: [], changedBy: 'alice' }),
        await enqueueRoleChangeNotice(manager, { userId: '00000000-0000-4000-8000-0000000000ff', added: ['Auditor'], removed: [], changedBy: 'alice' }),
        await enqueueRoleChangeNotice(manager, { userId: frank, added: [], removed: [], changedBy: 'alice' }),
      ]);
      expect(results).to.deep.equal([
        { queued: false, reason: 'no-address' }, { queued: false, reason: 'no-user' }, { queued: false, reason: 'no-change' },
      ]);
      expect(await dataSource.getRepository(MailOutboxEntity).count()).to.equal(before);
    });

    it('sends no notice of a change that rolled back', async () => {
      const gina = await createUser({ userName: 'gina', emails: [{ value: 'gina@example.test', primary: true }] });
      const failed = await transaction(dataSource, async (manager) => {
        await enqueueRoleChangeNotice(manager, { userId: gina, added: ['Auditor'], removed: [], changedBy: 'alice' });
        throw new Error('the role change failed');
      }).then(() => undefined, (error: unknown) => error);
      expect((failed as Error | undefined)?.message).to.equal('the role change failed');
      await outbox.deliverDue(later);
      expect(mailbox.messagesFor('gina@example.test')).to.deep.equal([]);
    });
  });
}
