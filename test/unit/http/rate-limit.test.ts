import { expect } from 'chai';
import { retryAfterSeconds, tooManyRequests } from '../../../src/http/rate-limit';

describe('retryAfterSeconds()', () => {
  it('rounds up to whole seconds and never says 0', () => {
    expect(retryAfterSeconds(0)).to.equal(1);
    expect(retryAfterSeconds(-5)).to.equal(1);
    expect(retryAfterSeconds(1)).to.equal(1);
    expect(retryAfterSeconds(1000)).to.equal(1);
    expect(retryAfterSeconds(1001)).to.equal(2);
    expect(retryAfterSeconds(59_400)).to.equal(60);
  });
});

describe('tooManyRequests()', () => {
  it('is a 429 carrying Retry-After in seconds and saying when to retry', () => {
    const error = tooManyRequests('Too many requests with this token', 2_500);
    expect(error.status).to.equal(429);
    expect(error.headers).to.deep.equal({ 'Retry-After': '3' });
    expect(error.detail).to.equal('Too many requests with this token; retry after 3 s');
  });
});
