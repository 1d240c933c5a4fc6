import { expect } from 'chai';
import { AndFilter, BerWriter } from 'ldapts';
import { ShowDeletedControl, TreeDeleteControl } from '../../../../sync/ldap/controls';
import { guidEqualityFilter, matchingAnyGuid } from '../../../../sync/ldap/filters';
import { guidFilterValue, guidToBytes } from '../../../../sync/ldap/guid';

function ber(write: (writer: BerWriter) => void): Buffer {
  const writer = new BerWriter();
  write(writer);
  return writer.buffer;
}

describe('sync/ldap controls and filters', () => {
  it('encodes Show Deleted as its OID, critical, without a value', () => {
    const oid = '1.2.840.113556.1.4.417';
    expect(ShowDeletedControl.type).to.equal(oid);
    const bytes = ber((w) => new ShowDeletedControl().write(w));
    // SEQUENCE { OCTET STRING oid, BOOLEAN TRUE }
    expect(bytes.toString('hex')).to.equal(`30${(oid.length + 5).toString(16)}04${oid.length.toString(16)}${Buffer.from(oid).toString('hex')}0101ff`);
    expect(new ShowDeletedControl({ critical: false }).critical).to.equal(false);
  });

  it('encodes Tree Delete as its OID', () => {
    expect(new TreeDeleteControl().type).to.equal('1.2.840.113556.1.4.805');
    expect(new TreeDeleteControl().critical).to.equal(true);
  });

  it('sends a GUID equality filter byte for byte (no UTF-8 re-encoding of bytes ≥ 0x80)', () => {
    const guid = 'f4c2ce4e-1f08-4358-abdc-fe3f035af4cd';
    const filter = guidEqualityFilter(guid);
    expect(filter.toString()).to.equal(`(objectGUID=${guidFilterValue(guid)})`);
    const bytes = ber((w) => filter.write(w));
    expect(bytes.includes(guidToBytes(guid))).to.equal(true);
    // equalityMatch [3] { attributeDesc "objectGUID", assertionValue 16 raw bytes }
    expect(bytes.length).to.equal(2 + 2 + 'objectGUID'.length + 2 + 16);
  });

  it('combines a filter with any of several GUIDs', () => {
    const guids = ['f4c2ce4e-1f08-4358-abdc-fe3f035af4cd', '529386ba-22bd-4ade-b430-69115b79c0da'];
    const filter = matchingAnyGuid('(objectClass=group)', guids);
    expect(filter).to.be.instanceOf(AndFilter);
    expect(filter.toString()).to.equal(`(&(objectClass=group)(|(objectGUID=${guidFilterValue(guids[0] as string)})(objectGUID=${guidFilterValue(guids[1] as string)})))`);
    expect(() => matchingAnyGuid('(objectClass=group)', [])).to.throw(RangeError);
    expect(() => matchingAnyGuid('(objectClass=group)', ['nope'])).to.throw(/not a GUID/);
  });
});
