import { expect } from 'chai';
import type { BearerAuthenticator } from '../../../src/auth/authenticator';
import { CachedAuthenticator } from '../../../src/auth/principal-cache';
import type { Principal } from '../../../src/auth/principal';

/** A database stand-in: answers from a map, counts the look-ups, and can be told to fail. */
class CountingAuthenticator implements BearerAuthenticator {
  lookups = 0;
  failing = false;
  readonly principals = new Map<string, Principal>();

  authenticate(bearer: string): Promise<Principal | undefined> {
    this.lookups += 1;
    if (this.failing) return Promise.reject(new Error('database unavailable'));
    return Promise.resolve(this.principals.get(bearer));
  }
}

function principal(kind: Principal['kind'], name: string): Principal {
  return {
    kind, id: `${name}-id`, name, tokenId: `${name}-token`, roles: ['SCIM Provisioning'],
    permissions: new Set(['users:read']), manages: new Set<string>(),
  };
}

describe('CachedAuthenticator', () => {
  let clock: number;
  let inner: CountingAuthenticator;
  let cache: CachedAuthenticator;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_000;
    inner = new CountingAuthenticator();
    inner.principals.set('service-token', principal('service-account', 'idp'));
    inner.principals.set('person-token', principal('person', 'alice'));
    cache = new CachedAuthenticator(inner, 1_000, now);
  });

  describe('#authenticate()', () => {
    it('answers a service account\'s token from memory within the lifetime', async () => {
      expect((await cache.authenticate('service-token'))?.name).to.equal('idp');
      clock += 999;
      expect((await cache.authenticate('service-token'))?.name).to.equal('idp');
      expect(inner.lookups).to.equal(1);
    });

    it('forgets a principal when its token expires, if that comes before the lifetime\'s end', async () => {
      const epoch = Date.parse('2026-12-05T09:00:00.000Z');
      const wall = () => epoch + clock;
      const expiring = new CachedAuthenticator(inner, 1_000, now, wall);
      inner.principals.set('expiring-token', {
        ...principal('service-account', 'short'), tokenExpiresAt: new Date(epoch + clock + 300).toISOString(),
      });
      await expiring.authenticate('expiring-token');
      clock += 299;
      await expiring.authenticate('expiring-token');
      expect(inner.lookups, 'still valid').to.equal(1);
      clock += 1;
      await expiring.authenticate('expiring-token');
      expect(inner.lookups, 'expired: asked again').to.equal(2);
    });

    it('reads the database again once the lifetime is over', async () => {
      await cache.authenticate('service-token');
      clock += 1_000;
      inner.principals.delete('service-token'); // revoked meanwhile
      expect(await cache.authenticate('service-token')).to.equal(undefined);
      expect(inner.lookups).to.equal(2);
    });

    it('never remembers a refusal: a token refused once is looked up again at once', async () => {
      expect(await cache.authenticate('unknown-token')).to.equal(undefined);
      inner.principals.set('unknown-token', principal('service-account', 'late'));
      expect((await cache.authenticate('unknown-token'))?.name).to.equal('late');
      expect(inner.lookups).to.equal(2);
    });

    it('never remembers a person\'s principal: it follows their roles and `active` at every request', async () => {
      await cache.authenticate('person-token');
      await cache.authenticate('person-token');
      expect(inner.lookups).to.equal(2);
      expect(cache.size).to.equal(0);
    });

    it('shares one look-up between concurrent first requests of a token', async () => {
      const answers = await Promise.all([cache.authenticate('service-token'), cache.authenticate('service-token')]);
      expect(answers.map((answer) => answer?.name)).to.deep.equal(['idp', 'idp']);
      expect(inner.lookups).to.equal(1);
    });

    it('forgets a look-up that failed, so the next request tries again', async () => {
      inner.failing = true;
      let failure: unknown;
      await cache.authenticate('service-token').catch((error: unknown) => { failure = error; });
      expect(failure).to.be.instanceOf(Error);
      inner.failing = false;
      expect((await cache.authenticate('service-token'))?.name).to.equal('idp');
      expect(inner.lookups).to.equal(2);
    });

    it('asks the database every time when the lifetime is 0 (the cache is off)', async () => {
      const off = new CachedAuthenticator(inner, 0, now);
      await off.authenticate('service-token');
      await off.authenticate('service-token');
      expect(inner.lookups).to.equal(2);
    });
  });

  describe('#clear()', () => {
    it('forgets every principal: the next request reads the database', async () => {
      await cache.authenticate('service-token');
      cache.clear();
      await cache.authenticate('service-token');
      expect(inner.lookups).to.equal(2);
    });
  });

  describe('constructor', () => {
    it('refuses a lifetime beyond the 2 s revocation bound', () => {
      expect(() => new CachedAuthenticator(inner, 2_001, now)).to.throw(RangeError, '0-2000 ms');
      expect(() => new CachedAuthenticator(inner, -1, now)).to.throw(RangeError);
    });
  });
});
