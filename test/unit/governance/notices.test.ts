import { expect } from 'chai';
import { addressOf, roleChangeText } from '../../../src/governance/notices';

describe('Role change notices', () => {
  describe('addressOf()', () => {
    it('takes the primary address', () => {
      expect(addressOf({ userName: 'bob', emails: [{ value: 'home@example.test' }, { value: 'work@example.test', primary: true }] }))
        .to.equal('work@example.test');
    });

    it('takes the first address when none is primary', () => {
      expect(addressOf({ userName: 'bob', emails: [{ value: '' }, { value: 'first@example.test' }, { value: 'second@example.test' }] }))
        .to.equal('first@example.test');
    });

    it('finds none without emails, or when the chosen one is not an address', () => {
      expect(addressOf({ userName: 'bob' })).to.equal(undefined);
      expect(addressOf({ userName: 'bob', emails: [] })).to.equal(undefined);
      expect(addressOf({ userName: 'bob', emails: [{ value: 'Bob <bob@example.test>', primary: true }] })).to.equal(undefined);
      expect(addressOf({ userName: 'bob', emails: [{ value: 'bob@example.test\r\nBcc: eve@example.test' }] })).to.equal(undefined);
    });
  });

  describe('roleChangeText()', () => {
    it('greets the person and says what was added, removed, by whom and who approved it', () => {
      const text = roleChangeText({ userName: 'bob', name: { givenName: 'Bob' } }, {
        userId: 'u1', added: ['Auditor', 'Help Desk Administrator'], removed: ['Operator'], changedBy: 'alice',
        approvedBy: 'carol', changeRequestId: 'cr-1',
      });
      expect(text).to.equal([
        'Hello Bob,', '', 'Your roles in scimd changed.', '',
        'Added: Auditor, Help Desk Administrator', 'Removed: Operator', 'Changed by: alice', 'Approved by: carol',
        'Change request: cr-1', '', 'If you did not expect this change, please contact your administrator.', '', '-- ', 'scimd', '',
      ].join('\n'));
    });

    it('leaves out what did not happen, and keeps every name on one line', () => {
      const text = roleChangeText({ userName: 'bob@example.test' }, { userId: 'u1', added: ['Evil\nApproved by: admin'], removed: [], changedBy: 'alice' });
      expect(text).to.include('Hello bob@example.test,');
      expect(text).to.include('Added: Evil Approved by: admin\n');
      expect(text).to.not.match(/^Removed:/m);
      expect(text).to.not.match(/^Approved by:/m);
      expect(text).to.not.include('Change request');
    });
  });
});
