import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SeenUsers } from '../../../sync/seen-users';

const dnOf = (i: number): string => `CN=User ${i},OU=People,DC=example,DC=test`;

describe('sync SeenUsers', () => {
  it('knows the users recorded, by anchor in any case, and no others', () => {
    const seen = new SeenUsers();
    const anchor = randomUUID();
    seen.record(anchor, dnOf(1), 'active');
    expect(seen.has(anchor)).to.equal(true);
    expect(seen.has(anchor.toUpperCase())).to.equal(true);
    expect(seen.has(randomUUID())).to.equal(false);
    expect(seen.size).to.equal(1);
  });

  it('resolves a DN to the anchor recorded with it, comparing DNs as AD does', () => {
    const seen = new SeenUsers();
    const anchor = randomUUID();
    seen.record(anchor, 'CN=Ann Lee,OU=Staff,DC=Corp', 'active');
    expect(seen.anchorOfDn('cn=ann lee, ou=staff,dc=corp')).to.equal(anchor);
    expect(seen.anchorOfDn('CN=Ann Lea,OU=Staff,DC=Corp')).to.equal(undefined);
  });

  it('tells who is active once the run is applied', () => {
    const seen = new SeenUsers();
    const [active, inactive, skipped] = [randomUUID(), randomUUID(), randomUUID()];
    seen.record(active, dnOf(1), 'active');
    seen.record(inactive, dnOf(2), 'inactive');
    seen.record(skipped, dnOf(3), 'skipped');
    expect([active, inactive, skipped, randomUUID()].map((anchor) => seen.isActiveAfter(anchor))).to.deep.equal([true, false, false, false]);
    expect([...seen.skipped]).to.deep.equal([skipped]);
    seen.record(skipped, dnOf(3), 'active');
    expect(seen.skipped.size).to.equal(0);
    expect(seen.isActiveAfter(skipped)).to.equal(true);
  });

  it('keeps every user and DN as it grows past its first tables', () => {
    const seen = new SeenUsers();
    const anchors = Array.from({ length: 5000 }, () => randomUUID());
    anchors.forEach((anchor, i) => seen.record(anchor, dnOf(i), i % 3 === 0 ? 'inactive' : 'active'));
    expect(seen.size).to.equal(5000);
    anchors.forEach((anchor, i) => {
      expect(seen.has(anchor)).to.equal(true);
      expect(seen.anchorOfDn(dnOf(i))).to.equal(anchor);
      expect(seen.isActiveAfter(anchor)).to.equal(i % 3 !== 0);
    });
    expect(seen.anchorOfDn(dnOf(5000))).to.equal(undefined);
  });

  it('keeps anchors that are not GUIDs as they were recorded', () => {
    const seen = new SeenUsers();
    seen.record('Anchor-One', dnOf(1), 'active');
    expect(seen.has('anchor-one')).to.equal(true);
    expect(seen.anchorOfDn(dnOf(1))).to.equal('Anchor-One');
    expect(seen.isActiveAfter('ANCHOR-ONE')).to.equal(true);
  });

  it('gives a DN recorded twice to the later user', () => {
    const seen = new SeenUsers();
    const [first, second] = [randomUUID(), randomUUID()];
    seen.record(first, dnOf(1), 'active');
    seen.record(second, dnOf(1), 'active');
    expect(seen.anchorOfDn(dnOf(1))).to.equal(second);
  });

  it('orders anchors by their users\' store ids, as the users table\'s key sorts them, across growth', () => {
    const seen = new SeenUsers();
    const users = Array.from({ length: 3000 }, (_, i) => ({ anchor: randomUUID(), dn: dnOf(i), id: randomUUID() }));
    for (const user of users) seen.record(user.anchor, user.dn, 'active');
    // Upper-case ids are the same ids: the order is the lower-case text's, as the binary collation has it.
    users.forEach((user, i) => seen.recordId(user.anchor.toUpperCase(), i % 2 === 0 ? user.id : user.id.toUpperCase()));
    const byId = [...users].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((user) => user.anchor);
    expect(seen.inTableOrder(users.map((user) => user.anchor))).to.deep.equal(byId);
  });

  it('puts anchors without a known id last, in the order given', () => {
    const seen = new SeenUsers();
    const [early, late, noId, notRecorded] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    seen.record(early, dnOf(1), 'active');
    seen.record(late, dnOf(2), 'active');
    seen.record(noId, dnOf(3), 'active');
    seen.recordId(late, 'ffffffff-0000-7000-8000-000000000000');
    seen.recordId(early, '10000000-0000-7000-8000-000000000000');
    seen.recordId(noId, 'not-a-uuid');
    seen.recordId(notRecorded, '20000000-0000-7000-8000-000000000000');
    expect(seen.inTableOrder([notRecorded, late, noId, early])).to.deep.equal([early, late, notRecorded, noId]);
    expect(seen.has(notRecorded)).to.equal(false);
  });
});
