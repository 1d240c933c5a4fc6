import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  AUDIT_HASH_VERSION, auditEventHash, canonicalAuditEncoding, storedText, type ChainedFields,
} from '../../../src/governance/audit-chain';
import { checkLink, parseAuditTime } from '../../../src/governance/audit-log';
import { AuditEventEntity } from '../../../src/db/entities';

const EVENT: ChainedFields = {
  seq: 7, occurredAt: '2026-01-31T12:00:00.000Z', actorType: 'service-account', actorId: 'a1', actorName: 'okta',
  door: 'scim', action: 'user.create', targetType: 'User', targetId: 'u1', targetName: 'ada@example.com',
  changes: '[{"attribute":"userName","to":"ada@example.com"}]', requestId: 'req-1', prevHash: 'ab'.repeat(32),
};

function row(fields: ChainedFields, overrides: Partial<AuditEventEntity> = {}): AuditEventEntity {
  return Object.assign(new AuditEventEntity(), { id: 70, ...fields, hash: auditEventHash(fields), ...overrides });
}

describe('audit chain', () => {
  describe('canonicalAuditEncoding()', () => {
    it('is a JSON array of the version tag and every chained field, in a fixed order', () => {
      expect(canonicalAuditEncoding(EVENT)).to.equal(
        '["scimd-audit-v1",7,"2026-01-31T12:00:00.000Z","service-account","a1","okta","scim","user.create","User","u1",'
        + '"ada@example.com","[{\\"attribute\\":\\"userName\\",\\"to\\":\\"ada@example.com\\"}]","req-1",'
        + `"${'ab'.repeat(32)}"]`,
      );
      expect(AUDIT_HASH_VERSION).to.equal('scimd-audit-v1');
    });

    it('tells apart values that only a naive join would confuse (separators inside values, null and "null")', () => {
      const a = canonicalAuditEncoding({ ...EVENT, actorName: 'a","b', door: 'c' });
      const b = canonicalAuditEncoding({ ...EVENT, actorName: 'a', door: 'b","c' });
      expect(a).to.not.equal(b);
      expect(canonicalAuditEncoding({ ...EVENT, targetName: null })).to.not.equal(canonicalAuditEncoding({ ...EVENT, targetName: 'null' }));
    });
  });

  describe('auditEventHash()', () => {
    it('is the lower-case hex SHA-256 of the canonical encoding', () => {
      const expected = createHash('sha256').update(canonicalAuditEncoding(EVENT), 'utf8').digest('hex');
      expect(auditEventHash(EVENT)).to.equal(expected).and.match(/^[0-9a-f]{64}$/);
    });

    it('changes when any one field, the position or the previous hash changes', () => {
      const original = auditEventHash(EVENT);
      const edits: Partial<ChainedFields>[] = [
        { seq: 8 }, { occurredAt: '2026-01-31T12:00:00.001Z' }, { actorType: 'cli' }, { actorId: null }, { actorName: 'Okta' },
        { door: 'admin' }, { action: 'user.delete' }, { targetType: 'Group' }, { targetId: 'u2' }, { targetName: null },
        { changes: null }, { changes: '[]' }, { requestId: null }, { prevHash: null }, { prevHash: 'cd'.repeat(32) },
      ];
      for (const edit of edits) expect(auditEventHash({ ...EVENT, ...edit }), JSON.stringify(edit)).to.not.equal(original);
      expect(auditEventHash({ ...EVENT })).to.equal(original);
    });
  });

  describe('storedText()', () => {
    it('replaces lone surrogates with U+FFFD, as the drivers do when they encode UTF-8', () => {
      expect(storedText('a\ud800b')).to.equal('a\ufffdb');
      expect(storedText('a\udc00')).to.equal('a\ufffd');
      expect(storedText('😀')).to.equal('😀');
    });

    it('cuts to the limit without splitting a surrogate pair', () => {
      expect(storedText('abcdef', 4)).to.equal('abcd');
      expect(storedText('abc😀', 4)).to.equal('abc');
      expect(storedText('ab😀', 4)).to.equal('ab😀');
      expect(storedText('x'.repeat(300), 255)).to.have.length(255);
    });
  });

  describe('checkLink()', () => {
    it('accepts a row that follows its predecessor and matches its hash', () => {
      expect(checkLink(row(EVENT), 6, EVENT.prevHash)).to.equal(undefined);
      expect(checkLink(row({ ...EVENT, seq: 1, prevHash: null }), 0, null)).to.equal(undefined);
    });

    it('reports an edited row as a hash mismatch at its seq and id', () => {
      const broken = checkLink(row(EVENT, { actorName: 'mallory' }), 6, EVENT.prevHash);
      expect(broken).to.include({ problem: 'hash-mismatch', seq: 7, id: 70 });
      expect(broken?.message).to.match(/seq 7 \(id 70\).*edited/);
      expect(checkLink(row(EVENT, { changes: '[]' }), 6, EVENT.prevHash)).to.include({ problem: 'hash-mismatch' });
    });

    it('reports missing positions as a seq gap, and a wrong predecessor hash as a prev-hash mismatch', () => {
      expect(checkLink(row(EVENT), 5, EVENT.prevHash)).to.include({ problem: 'seq-gap', seq: 7, id: 70 });
      expect(checkLink(row(EVENT), 3, EVENT.prevHash)?.message).to.match(/events 4-6 were removed/);
      expect(checkLink(row(EVENT), 6, 'cd'.repeat(32))).to.include({ problem: 'prev-hash-mismatch', seq: 7 });
      expect(checkLink(row({ ...EVENT, seq: 1, prevHash: null }), 0, 'cd'.repeat(32))).to.include({ problem: 'prev-hash-mismatch' });
    });
  });

  describe('parseAuditTime()', () => {
    it('reads dates and zoned times as stored timestamps (UTC, milliseconds)', () => {
      expect(parseAuditTime('from', '2026-01-31')).to.equal('2026-01-31T00:00:00.000Z');
      expect(parseAuditTime('from', '2026-01-31T12:00Z')).to.equal('2026-01-31T12:00:00.000Z');
      expect(parseAuditTime('from', '2026-01-31T12:00:00.5+02:00')).to.equal('2026-01-31T10:00:00.500Z');
    });

    it('refuses a time without its zone, and anything that is not ISO 8601', () => {
      for (const text of ['2026-01-31T12:00', 'yesterday', '31.01.2026', '2026-13-01', '1738324800000', '']) {
        expect(() => parseAuditTime('from', text), text).to.throw(/from must be an ISO 8601/);
      }
    });
  });
});
