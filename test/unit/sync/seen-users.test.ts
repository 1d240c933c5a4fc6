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
});
