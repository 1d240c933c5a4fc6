import { expect } from 'chai';
import type { Entry } from 'ldapts';
import {
  bufferAttributesFor, entryAttributes, firstBuffer, firstString, parseUsn, stringValues,
} from '../../../../sync/ldap/entries';

describe('sync/ldap/entries', () => {
  it('asks for binary attributes in the spelling requested, lower-case, and AD\'s schema spelling', () => {
    expect(bufferAttributesFor(['objectguid', 'mail', 'objectSid', 'THUMBNAILPHOTO']).sort()).to.deep.equal(
      ['objectGUID', 'objectSid', 'objectguid', 'objectsid', 'thumbnailPhoto', 'THUMBNAILPHOTO', 'thumbnailphoto'].sort(),
    );
    expect(bufferAttributesFor(['mail', 'cn'])).to.deep.equal([]);
  });

  it('lower-cases names, wraps single values, drops empty attributes and the DN', () => {
    const entry: Entry = { dn: 'CN=a', givenName: 'A', proxyAddresses: ['smtp:a@x', 'SMTP:A@x'], title: [], MAIL: 'a@x' };
    const attrs = entryAttributes(entry);
    expect([...attrs.keys()].sort()).to.deep.equal(['givenname', 'mail', 'proxyaddresses']);
    expect(attrs.get('proxyaddresses')).to.deep.equal(['smtp:a@x', 'SMTP:A@x']);
    expect(firstString(attrs, 'GivenName')).to.equal('A');
    expect(firstString(attrs, 'title')).to.equal(undefined);
  });

  it('merges the same attribute under two spellings', () => {
    const attrs = entryAttributes({ dn: 'CN=a', mail: 'x', Mail: ['y'] });
    expect(attrs.get('mail')).to.deep.equal(['x', 'y']);
  });

  it('gives binary values as buffers and refuses a binary attribute that came back as text', () => {
    const guid = Buffer.alloc(16, 1);
    const attrs = entryAttributes({ dn: 'CN=a', objectGUID: guid, cn: 'a' });
    expect(firstBuffer(attrs, 'objectguid')).to.equal(guid);
    expect(() => firstBuffer(attrs, 'cn')).to.throw(/explicitBufferAttributes/);
    expect(firstBuffer(attrs, 'missing')).to.equal(undefined);
  });

  it('shows GUIDs and SIDs in their string forms, other binary values as base64, text as is', () => {
    expect(stringValues('objectGUID', [Buffer.from('ba869352bd22de4ab43069115b79c0da', 'hex')])).to.deep.equal(['529386ba-22bd-4ade-b430-69115b79c0da']);
    expect(stringValues('objectsid', [Buffer.from('AQUAAAAAAAUVAAAAd4oBlC9RpPisptioAAIAAA==', 'base64')]))
      .to.deep.equal(['S-1-5-21-2483128951-4171518255-2832770732-512']);
    expect(stringValues('thumbnailphoto', [Buffer.from([0xff, 0xd8, 0xff])])).to.deep.equal(['/9j/']);
    expect(stringValues('description', [Buffer.from([0xc3, 0x28]), 'text'])).to.deep.equal(['wyg=', 'text']);
    expect(stringValues('mail', ['a@x', 'b@x'])).to.deep.equal(['a@x', 'b@x']);
  });

  it('parses USNs', () => {
    expect(parseUsn('12345', 'x')).to.equal(12345);
    expect(parseUsn('0', 'x')).to.equal(0);
    expect(parseUsn('9007199254740991', 'x')).to.equal(Number.MAX_SAFE_INTEGER);
    for (const bad of [undefined, '', '-1', '1.5', 'abc', '9007199254740993', '12345678901234567']) {
      expect(() => parseUsn(bad, 'uSNChanged of CN=a'), String(bad)).to.throw(/uSNChanged of CN=a/);
    }
  });
});
