import { expect } from 'chai';
import { BACKOFF_CAP_MS, backoffDelayMs, describeSmtpError } from '../../../src/governance/outbox';

describe('Mail outbox backoff', () => {
  describe('backoffDelayMs()', () => {
    it('waits 30 s after the first failed attempt and doubles the wait with each further one', () => {
      const none = () => 0;
      expect([1, 2, 3, 4, 5].map((attempts) => backoffDelayMs(attempts, none))).to.deep.equal([30_000, 60_000, 120_000, 240_000, 480_000]);
    });

    it('never waits longer than an hour, however many attempts failed', () => {
      for (const attempts of [8, 9, 20, 100, 10_000]) {
        expect(backoffDelayMs(attempts, () => 0), String(attempts)).to.equal(BACKOFF_CAP_MS);
        expect(backoffDelayMs(attempts, () => 0.999), String(attempts)).to.be.within(0.75 * BACKOFF_CAP_MS, BACKOFF_CAP_MS);
      }
    });

    it('takes up to a quarter off at random, so mails queued together spread out', () => {
      expect(backoffDelayMs(1, () => 0.5)).to.equal(26_250);
      expect(backoffDelayMs(2, () => 0.999_999)).to.equal(45_000);
      expect(new Set([0, 0.2, 0.4, 0.6, 0.8].map((r) => backoffDelayMs(3, () => r))).size).to.equal(5);
    });

    it('treats a count below one as the first attempt', () => {
      expect(backoffDelayMs(0, () => 0)).to.equal(30_000);
    });
  });

  describe('describeSmtpError()', () => {
    it('keeps the code and SMTP reply code and takes out every address the server quoted', () => {
      const error = Object.assign(new Error("Can't send mail - all recipients were rejected: 550 5.1.1 <bob@example.test>: unknown user bob@example.test"),
        { code: 'EENVELOPE', responseCode: 550 });
      const problem = describeSmtpError(error);
      expect(problem).to.deep.include({ type: 'Error', code: 'EENVELOPE', responseCode: 550 });
      expect(problem.message).to.include('550 5.1.1');
      expect(problem.message).to.not.include('@');
    });

    it('describes a refused connection without a reply code (the server is unavailable)', () => {
      const problem = describeSmtpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' }));
      expect(problem).to.deep.equal({ type: 'Error', code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:2525' });
    });
  });
});
