import { expect } from 'chai';
import { ldifChunks, ldifLine } from '../../../bench/sync/ldif';

describe('bench LDIF writer', () => {
  it('writes a safe value as it is', () => {
    expect(ldifLine('title', 'Title 12')).to.equal('title: Title 12\n');
    expect(ldifLine('telephoneNumber', '+1 555 0123')).to.equal('telephoneNumber: +1 555 0123\n');
  });

  it('base64-encodes what RFC 2849 does not allow plain: a leading space, colon or "<", a trailing space, non-ASCII', () => {
    for (const value of [' lead', ':colon', '<angle', 'trail ', 'Zoë', 'two\nlines']) {
      const line = ldifLine('cn', value);
      expect(line).to.match(/^cn:: /);
      expect(Buffer.from(line.slice('cn:: '.length).trim(), 'base64').toString('utf8')).to.equal(value);
    }
  });

  it('ends each entry with an empty line and gives every value of a long attribute its own line', () => {
    const members = function* (): Generator<string> {
      for (let i = 0; i < 5_000; i++) yield `CN=u${i},OU=People,DC=example,DC=test`;
    };
    const chunks = [...ldifChunks([
      { dn: 'OU=People,DC=example,DC=test', attributes: [['objectClass', ['top', 'organizationalUnit']], ['ou', ['People']]] },
      { dn: 'CN=All,DC=example,DC=test', attributes: [['cn', ['All']], ['member', members()]] },
    ])];
    expect(chunks.length).to.be.greaterThan(1);
    const text = chunks.join('');
    const entries = text.split('\n\n').filter((entry) => entry !== '');
    expect(entries).to.have.length(2);
    expect(entries[0]).to.equal('dn: OU=People,DC=example,DC=test\nobjectClass: top\nobjectClass: organizationalUnit\nou: People');
    const lines = (entries[1] ?? '').split('\n');
    expect(lines.slice(0, 2)).to.deep.equal(['dn: CN=All,DC=example,DC=test', 'cn: All']);
    expect(lines.filter((line) => line.startsWith('member: '))).to.have.length(5_000);
    expect(lines.at(-1)).to.equal('member: CN=u4999,OU=People,DC=example,DC=test');
    expect(text.endsWith('\n\n')).to.equal(true);
  });
});
