import { expect } from 'chai';
import { inListingOrder } from '../../../src/identity/held-role-order';

describe('inListingOrder', () => {
  const role = (id: string, key: string) => ({ id, displayName: key.toUpperCase(), key });

  it('orders by key and drops the key', () => {
    expect(inListingOrder([role('1', 'sales'), role('2', 'admins'), role('3', 'engineering')])).to.deep.equal([
      { id: '2', displayName: 'ADMINS' }, { id: '3', displayName: 'ENGINEERING' }, { id: '1', displayName: 'SALES' },
    ]);
  });

  it('compares the UTF-8 bytes, as the binary collation does, not UTF-16 code units', () => {
    // U+FF5E is EF BD 9E in UTF-8, before F0 9F 98 80 (U+1F600); in UTF-16 the emoji's surrogate 0xD83D comes first.
    const ordered = inListingOrder([role('emoji', '\u{1F600}'), role('tilde', '\uFF5E')]);
    expect(ordered.map((item) => item.id)).to.deep.equal(['tilde', 'emoji']);
  });

  it('breaks ties by id and leaves an empty or single list as it is', () => {
    expect(inListingOrder([role('b', 'x'), role('a', 'x')]).map((item) => item.id)).to.deep.equal(['a', 'b']);
    expect(inListingOrder([])).to.deep.equal([]);
    expect(inListingOrder([role('1', 'only')])).to.deep.equal([{ id: '1', displayName: 'ONLY' }]);
  });
});
