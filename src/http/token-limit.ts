import type { Context, Next } from 'koa';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimit } from '../rate-limit-config';
import { requirePrincipal } from './principal';
import { budgetLimiter, tooManyRequests, unlimited } from './rate-limit';

/**
 * Limits the requests of each bearer token (RATE_LIMIT_RPS, RATE_LIMIT_BURST), mounted right after
 * authentication. The key is the token's id, never its secret: two tokens of one service account
 * have a budget each, and the limiter's memory holds nothing a caller could sign in with. A Bulk
 * request counts as one request. Without a limit, requests pass untouched.
 */
export function limitRequestsPerToken(limit: RateLimit | undefined) {
  if (!limit) return unlimited;
  const limiter = budgetLimiter(limit, 'token');
  return async (ctx: Context, next: Next): Promise<void> => {
    const principal = requirePrincipal(ctx);
    try {
      await limiter.consume(`${principal.kind}:${principal.tokenId}`);
    } catch (rejection) {
      // The limiter rejects with its result (not an Error) when the budget is spent.
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw tooManyRequests(
        `Too many requests with this token: ${limit.burst} at once, then ${limit.perSecond} a second`, rejection.msBeforeNext);
    }
    await next();
  };
}
