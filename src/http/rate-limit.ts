import type { Next } from 'koa';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { RateLimit } from '../rate-limit-config';
import { HttpError } from './http-error';

/**
 * An in-memory limiter for a budget of `burst` requests earned back at `perSecond`:
 * rate-limiter-flexible's counter of `burst` points per window of burst / perSecond seconds (the
 * library has no token bucket). Over a long stretch it admits the rate, as a token bucket of that
 * rate and size does, and a caller that waited out its Retry-After finds the whole burst again; the
 * difference is the worst case around a window's end, two bursts (the end of one window and the
 * start of the next) where a bucket allows one. Each process counts on its own (the memory store).
 */
export function budgetLimiter(limit: RateLimit, keyPrefix: string): RateLimiterMemory {
  return new RateLimiterMemory({ keyPrefix, points: limit.burst, duration: limit.burst / limit.perSecond });
}

/** Whole seconds until the budget is back, at least 1 (RFC 9110 §10.2.3: Retry-After is in seconds). */
export function retryAfterSeconds(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** 429 with Retry-After; the error renderer gives it the body of the path's face (SCIM or problem+json). */
export function tooManyRequests(detail: string, msBeforeNext: number): HttpError {
  const seconds = retryAfterSeconds(msBeforeNext);
  return new HttpError(429, `${detail}; retry after ${seconds} s`, { headers: { 'Retry-After': String(seconds) } });
}

/** The middleware of a limit that is switched off. */
export const unlimited = (_ctx: unknown, next: Next): Promise<void> => next();
