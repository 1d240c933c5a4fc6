import { expect } from 'chai';
import { hashSecret, issueToken, lastUseDue, parseToken } from '../../../src/auth/tokens';

/** The two kinds of token: a service account's `scimd_…` and a person's `scimd_p_…`. */
describe('tokens of both kinds', () => {
  const id = '0123456789abcdef';
  const secret = 'A'.repeat(21) + '_-' + 'z9'.repeat(10);

  describe('issueToken()', () => {
    it('makes scimd_p_ tokens for persons and scimd_ tokens for service accounts', () => {
      const personal = issueToken('personal');
      const service = issueToken('service');
      expect(personal.token).to.match(/^scimd_p_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(service.token).to.match(/^scimd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(issueToken().token.startsWith('scimd_p_'), 'service by default').to.equal(false);
      const parsed = parseToken(personal.token);
      expect(parsed).to.deep.include({ kind: 'personal', id: personal.id });
      expect(personal.secretHash).to.equal(hashSecret(parsed?.secret ?? ''));
    });

    it('gives both kinds one shape a secret scanner can look for', () => {
      const scanner = /scimd_(?:p_)?[0-9a-f]{16}_[A-Za-z0-9_-]{43}/;
      for (const kind of ['personal', 'service'] as const) expect(issueToken(kind).token).to.match(scanner);
    });
  });

  describe('parseToken()', () => {
    it('tells the kinds apart by their prefix', () => {
      expect(parseToken(`scimd_p_${id}_${secret}`)).to.deep.equal({ kind: 'personal', id, secret });
      expect(parseToken(`scimd_${id}_${secret}`)).to.deep.equal({ kind: 'service', id, secret });
    });

    it('rejects personal tokens of another shape', () => {
      for (const bad of [`scimd_p_${id}`, `scimd_p_${id.toUpperCase()}_${secret}`, `scimd_p_${id}_${secret}x`,
        `scimd_p_${id}-${secret}`, `scimd_P_${id}_${secret}`, `scimd_p__${id}_${secret}`, `scimdp_${id}_${secret}`,
        `scimd_q_${id}_${secret}`, `xscimd_p_${id}_${secret}`]) {
        expect(parseToken(bad), bad).to.equal(undefined);
      }
    });
  });

  describe('lastUseDue()', () => {
    it('writes lastUsedAt at first use and then at most once a minute', () => {
      expect(lastUseDue(null, '2030-01-01T00:00:00.000Z')).to.equal(true);
      expect(lastUseDue('2030-01-01T00:00:00.000Z', '2030-01-01T00:01:00.000Z')).to.equal(false);
      expect(lastUseDue('2030-01-01T00:00:00.000Z', '2030-01-01T00:01:00.001Z')).to.equal(true);
    });
  });
});
