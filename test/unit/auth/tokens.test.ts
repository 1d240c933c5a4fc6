import { expect } from 'chai';
import { hashSecret, issueToken, parseDuration, parseToken, secretMatches } from '../../../src/auth/tokens';

describe('tokens', () => {
  describe('issueToken()', () => {
    it('makes a recognisable scimd_ token whose secret is stored only as a hash', () => {
      const issued = issueToken();
      expect(issued.token).to.match(/^scimd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      const parsed = parseToken(issued.token);
      expect(parsed?.id).to.equal(issued.id);
      expect(issued.secretHash).to.equal(hashSecret(parsed?.secret ?? ''));
      expect(issued.secretHash).to.not.include(parsed?.secret ?? '');
    });

    it('never repeats itself', () => {
      const tokens = new Set(Array.from({ length: 200 }, () => issueToken().token));
      expect(tokens.size).to.equal(200);
    });
  });

  describe('parseToken()', () => {
    it('rejects tokens of another shape', () => {
      for (const bad of ['', 'scimd_', 'Bearer x', `scimd_${'g'.repeat(16)}_${'a'.repeat(43)}`,
        `scimd_${'a'.repeat(16)}-${'a'.repeat(43)}`, `scimd_${'a'.repeat(16)}_${'a'.repeat(42)}`, `other_${'a'.repeat(16)}_${'a'.repeat(43)}`]) {
        expect(parseToken(bad), bad).to.equal(undefined);
      }
    });
  });

  describe('secretMatches()', () => {
    it('accepts the right secret and refuses any other', () => {
      const issued = issueToken();
      const secret = parseToken(issued.token)?.secret ?? '';
      expect(secretMatches(secret, issued.secretHash)).to.equal(true);
      expect(secretMatches(`${secret.slice(0, -1)}x`, issued.secretHash)).to.equal(secret.endsWith('x'));
      expect(secretMatches(secret, 'abcd')).to.equal(false);
    });
  });

  describe('parseDuration()', () => {
    it('reads minutes, hours, days, weeks and years', () => {
      expect(parseDuration('30m')).to.equal(30 * 60_000);
      expect(parseDuration('12h')).to.equal(12 * 3_600_000);
      expect(parseDuration('90d')).to.equal(90 * 86_400_000);
      expect(parseDuration('2w')).to.equal(14 * 86_400_000);
      expect(parseDuration('1y')).to.equal(365 * 86_400_000);
    });

    it('refuses anything else', () => {
      for (const bad of ['soon', '0d', '-1d', '10', 'd', '1.5d']) expect(parseDuration(bad), bad).to.equal(undefined);
    });
  });
});
