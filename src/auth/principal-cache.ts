import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { MAX_PRINCIPAL_CACHE_MS } from '../config';
import { Authenticator, type BearerAuthenticator } from './authenticator';
import { onPrincipalsChanged } from './principal-changes';
import type { Principal } from './principal';

/** Entries beyond this are not added (the oldest expire first): memory stays bounded under many tokens. */
const MAX_ENTRIES = 10_000;

interface Entry {
  /** On the monotonic clock (`now`). */
  readonly expiresAt: number;
  readonly principal: Promise<Principal | undefined>;
}

/**
 * The authenticator the HTTP edge uses: the database's, behind a cache of `ttlMs` that forgets
 * everything when this process changes what a principal stands for (principal-changes.ts).
 */
export function cachedAuthenticator(dataSource: DataSource, ttlMs: number): BearerAuthenticator {
  const cache = new CachedAuthenticator(new Authenticator(dataSource), ttlMs);
  onPrincipalsChanged(dataSource, () => cache.clear());
  return cache;
}

/**
 * The principal a bearer token stood for a moment ago. Authentication is one statement per request
 * (a join over the token, its holder and its roles' permissions); a provisioning client sends many
 * requests a second with one token, so remembering the answer for a second removes that statement
 * from nearly every request (measured in docs/benchmarks.md, "Fourth run").
 *
 * The price is staleness, bounded by the lifetime: a revoked token, a disabled account or a changed
 * role is honoured by every replica at most `ttlMs` after it was committed, because an entry's
 * lifetime starts before the database read that filled it; an expiring token's entry ends with it. Nothing is
 * shared between processes, so no replica (nor the CLI, which revokes from a process of its own) needs
 * to tell the others anything; the process that makes such a change forgets at once (see
 * cachedAuthenticator). Only service accounts' principals are remembered: they carry the provisioning
 * traffic, while a person's token (the admin API, a few requests) follows the person's roles and
 * `active` at every request. A refusal is never remembered, so a token issued a moment ago works at
 * once, and guessing costs what it did (the address limit counts it).
 */
export class CachedAuthenticator implements BearerAuthenticator {
  /** Keyed by the bearer's SHA-256: the secret itself is never kept beyond its request. */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly inner: BearerAuthenticator,
    private readonly ttlMs: number,
    /** Milliseconds from a monotonic origin; injected by the unit tests. */
    private readonly now: () => number = () => performance.now(),
    /** Milliseconds since the epoch, to compare with token expiries; injected by the unit tests. */
    private readonly wallClock: () => number = () => Date.now(),
  ) {
    if (!(ttlMs >= 0 && ttlMs <= MAX_PRINCIPAL_CACHE_MS)) {
      throw new RangeError(`A principal may be remembered for 0-${MAX_PRINCIPAL_CACHE_MS} ms, not ${ttlMs}`);
    }
  }

  authenticate(bearer: string): Promise<Principal | undefined> {
    if (this.ttlMs === 0) return this.inner.authenticate(bearer);
    const key = createHash('sha256').update(bearer).digest('base64');
    const started = this.now();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > started) return cached.principal;
    if (cached) this.entries.delete(key);
    // The promise is remembered, not its result, so concurrent first requests share one read.
    const principal = this.inner.authenticate(bearer);
    const entry: Entry = { expiresAt: started + this.ttlMs, principal };
    if (this.makeRoom()) this.entries.set(key, entry);
    principal.then(
      (found) => {
        if (found?.kind !== 'service-account') this.forget(key, entry);
        else if (found.tokenExpiresAt) this.expireWithToken(key, entry, found.tokenExpiresAt);
      },
      () => { this.forget(key, entry); },
    );
    return principal;
  }

  /** Forgets every principal: the next request of each token reads the database again. */
  clear(): void {
    this.entries.clear();
  }

  /** Entries currently held (for the tests and the bound). */
  get size(): number {
    return this.entries.size;
  }

  /** A token that expires within the lifetime is forgotten when it expires, not after. */
  private expireWithToken(key: string, entry: Entry, tokenExpiresAt: string): void {
    const left = Date.parse(tokenExpiresAt) - this.wallClock();
    if (this.entries.get(key) === entry && entry.expiresAt > this.now() + left) {
      this.entries.set(key, { ...entry, expiresAt: this.now() + left });
    }
  }

  private forget(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  /** Drops expired entries when full; true when there is room for one more. */
  private makeRoom(): boolean {
    if (this.entries.size < MAX_ENTRIES) return true;
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
    return this.entries.size < MAX_ENTRIES;
  }
}
