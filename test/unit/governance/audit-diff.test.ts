import { expect } from 'chai';
import { diffAttributes } from '../../../src/governance/audit';

describe('audit diffAttributes', () => {
  it('lists the attributes that differ, in name order, each with its value before and after', () => {
    const changes = diffAttributes({ title: 'Dev', userName: 'ann', active: true }, { userName: 'ann', title: 'Lead', displayName: 'Ann' });
    expect(changes).to.deep.equal([
      { attribute: 'active', from: true },
      { attribute: 'displayName', to: 'Ann' },
      { attribute: 'title', from: 'Dev', to: 'Lead' },
    ]);
    expect(JSON.stringify(changes[2]), 'attribute, from, to: the order the log has always stored').to.equal('{"attribute":"title","from":"Dev","to":"Lead"}');
  });

  it('compares by value, not by identity', () => {
    expect(diffAttributes({ emails: [{ value: 'a@x' }] }, { emails: [{ value: 'a@x' }] })).to.deep.equal([]);
  });

  it('names a secret that changed without its values', () => {
    expect(diffAttributes({ password: 'old' }, { password: 'new' })).to.deep.equal([{ attribute: 'password' }]);
    expect(JSON.stringify(diffAttributes({}, { token: 'abc' }))).to.equal('[{"attribute":"token"}]');
  });

  it('leaves out a value longer than 256 characters of JSON, keeping the other side', () => {
    const long = 'x'.repeat(300);
    expect(diffAttributes({ description: 'short' }, { description: long })).to.deep.equal([{ attribute: 'description', from: 'short' }]);
    expect(diffAttributes({}, { description: long })).to.deep.equal([{ attribute: 'description' }]);
  });
});
