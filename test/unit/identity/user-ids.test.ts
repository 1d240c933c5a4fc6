import { expect } from 'chai';
import { newUserId } from '../../../src/identity/user-ids';

describe('newUserId', () => {
  it('makes version 7 UUIDs in the lower-case form SCIM ids have had', () => {
    const id = newUserId();
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts ids made one after another in the order they were made, none twice (the users table appends them)', () => {
    const made = Array.from({ length: 5000 }, () => newUserId());
    expect(new Set(made).size).to.equal(made.length);
    expect([...made].sort()).to.deep.equal(made);
  });
});
