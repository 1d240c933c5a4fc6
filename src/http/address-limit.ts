import type { Context, Next } from 'koa';
import type { RateLimitConfig } from '../rate-limit-config';
import { addressKey, clientAddressResolver } from './client-address';
import { toFailure } from './failure';
import { budgetLimiter, tooManyRequests, unlimited } from './rate-limit';

/**
 * Refuses, before authentication, requests from an address that failed authentication too often
 * (RATE_LIMIT_ADDRESS_RPS, RATE_LIMIT_ADDRESS_BURST). Only 401 answers count: a caller with a valid
 * token never spends anything, however busy, so an identity provider is never slowed by it, while
 * a flood of guessed tokens is refused here without a token lookup. Mounted after the health routes
 * (never limited) and before the console and the bearer edge. The address is the socket's, or behind
 * TRUSTED_PROXIES the client X-Forwarded-For names, an IPv6 client by its /64
 * (src/http/client-address.ts).
 */
export function limitFailedAuthenticationPerAddress(config: RateLimitConfig | undefined) {
  const limit = config?.perAddress;
  if (!config || !limit) return unlimited;
  const limiter = budgetLimiter(limit, 'address');
  const addressOf = clientAddressResolver(config.trustedProxies);
  return async (ctx: Context, next: Next): Promise<void> => {
    const address = addressKey(addressOf(ctx.req.socket.remoteAddress, ctx.get('X-Forwarded-For')));
    const spent = await limiter.get(address);
    // An expired window the library has not swept yet (its timer may fire late) counts as empty.
    if (spent && spent.consumedPoints >= limit.burst && spent.msBeforeNext > 0) {
      throw tooManyRequests('Too many failed authentications from this address', spent.msBeforeNext);
    }
    try {
      await next();
    } catch (error) {
      if (toFailure(error)?.status === 401) await limiter.penalty(address);
      throw error;
    }
    if (ctx.status === 401) await limiter.penalty(address);
  };
}
