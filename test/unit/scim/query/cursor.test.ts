import { expect } from 'chai';
import { decodeCursor, encodeCursor, queryFingerprint } from '../../../../scim/query/cursor';
import { ScimError } from '../../../../scim/errors';

describe('cursor', () => {
  const fingerprint = queryFingerprint(['userName sw "a"', 'userName', undefined]);
  const keyset = { value: 'alice@example.com', id: '6f1c2d3e-0000-4000-8000-000000000001' };

  describe('#decodeCursor()', () => {
    it('gives back the keyset and the walk\'s total the cursor was made with', () => {
      expect(decodeCursor(encodeCursor(keyset, fingerprint, 1234), fingerprint)).to.deep.equal({ after: keyset, total: 1234 });
    });

    it('reads a cursor without a total (one issued before totals were carried): the page counts', () => {
      expect(decodeCursor(encodeCursor(keyset, fingerprint), fingerprint)).to.deep.equal({ after: keyset });
    });

    it('refuses a total that is not a whole number of zero or more with invalidCursor', () => {
      for (const total of [-1, 1.5, '12', null]) {
        const forged = Buffer.from(JSON.stringify({ v: keyset.value, i: keyset.id, q: fingerprint, t: total })).toString('base64url');
        let error: unknown;
        try {
          decodeCursor(forged, fingerprint);
        } catch (caught) {
          error = caught;
        }
        expect(error, String(total)).to.be.instanceOf(ScimError).and.have.property('scimType', 'invalidCursor');
      }
    });
  });
});
