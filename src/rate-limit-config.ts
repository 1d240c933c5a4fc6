import net from 'node:net';
import type { Env } from './config';

/**
 * A request budget: `burst` requests at once, earned back at `perSecond` (token-bucket terms: the
 * refill rate and the bucket's size).
 */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** A network whose peers scimd believes about X-Forwarded-For: an address and its prefix length. */
export interface ProxySubnet {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** The HTTP rate limits (README, "Rate limits" in docs/operations.md). Each process counts on its own. */
export interface RateLimitConfig {
  /** Requests per bearer token (RATE_LIMIT_RPS, RATE_LIMIT_BURST); absent: not limited (the default). */
  readonly perToken?: RateLimit;
  /**
   * Failed authentications per source address (RATE_LIMIT_ADDRESS_RPS, RATE_LIMIT_ADDRESS_BURST); an
   * address over it is refused before authentication. Absent: off (RATE_LIMIT_ADDRESS_RPS=0).
   */
  readonly perAddress?: RateLimit;
  /** Peers whose X-Forwarded-For names the client (TRUSTED_PROXIES); empty: the socket's address only. */
  readonly trustedProxies: readonly ProxySubnet[];
}

/**
 * Failed authentications an address may make: a burst of 20, then one a second. An identity
 * provider with a valid token never fails, and one with a wrong token fails on every request
 * anyway, so this bothers no real caller; a flood of guessed tokens is held to one guess a second.
 */
export const DEFAULT_ADDRESS_LIMIT: RateLimit = { perSecond: 1, burst: 20 };

const MAX_PER_SECOND = 100_000;
const MAX_BURST = 1_000_000;
/** A positive decimal: 5, 0.5, 12.25. */
const DECIMAL = /^\d{1,6}(\.\d{1,3})?$/;

/** Reads the rate limit variables; every problem goes to `problems` (loadConfig reports them together). */
export function loadRateLimitConfig(env: Env, problems: string[]): RateLimitConfig {
  const perToken = rateLimit(env, 'RATE_LIMIT_RPS', 'RATE_LIMIT_BURST', undefined, problems);
  const perAddress = rateLimit(env, 'RATE_LIMIT_ADDRESS_RPS', 'RATE_LIMIT_ADDRESS_BURST', DEFAULT_ADDRESS_LIMIT, problems);
  return {
    ...(perToken ? { perToken } : {}),
    ...(perAddress ? { perAddress } : {}),
    trustedProxies: proxySubnets(env.TRUSTED_PROXIES ?? '', problems),
  };
}

/**
 * One limit from a rate variable and a burst variable. The rate unset: `fallback` (which may be no
 * limit); `0`: no limit. The burst unset: the fallback's, or twice the rate (at least 1).
 */
function rateLimit(env: Env, rateName: string, burstName: string, fallback: RateLimit | undefined, problems: string[]): RateLimit | undefined {
  const rawRate = env[rateName]?.trim() ?? '';
  const rawBurst = env[burstName]?.trim() ?? '';
  if (rawRate === '' && fallback === undefined) {
    if (rawBurst !== '') problems.push(`${burstName} is set but ${rateName} is not: set ${rateName} to limit requests`);
    return undefined;
  }
  let perSecond = fallback?.perSecond ?? 0;
  if (rawRate !== '') {
    if (!DECIMAL.test(rawRate)) {
      problems.push(`${rateName}: "${rawRate}" is not a number of requests per second (e.g. 10 or 0.5; 0 turns the limit off)`);
      return undefined;
    }
    perSecond = Number(rawRate);
    if (perSecond === 0) return undefined;
    if (perSecond > MAX_PER_SECOND) {
      problems.push(`${rateName}: ${perSecond} is above ${MAX_PER_SECOND} (0 turns the limit off)`);
      return undefined;
    }
  }
  if (rawBurst === '') {
    return { perSecond, burst: rawRate === '' && fallback ? fallback.burst : Math.max(1, Math.ceil(2 * perSecond)) };
  }
  if (!/^\d{1,7}$/.test(rawBurst) || Number(rawBurst) < 1 || Number(rawBurst) > MAX_BURST) {
    problems.push(`${burstName}: "${rawBurst}" is not a whole number of requests from 1 to ${MAX_BURST}`);
    return undefined;
  }
  return { perSecond, burst: Number(rawBurst) };
}

/** TRUSTED_PROXIES: addresses and CIDR networks, separated by commas or white space. */
function proxySubnets(value: string, problems: string[]): ProxySubnet[] {
  const subnets: ProxySubnet[] = [];
  for (const entry of value.split(/[\s,]+/).filter((part) => part !== '')) {
    const [address = '', prefixText, ...rest] = entry.split('/');
    const version = net.isIP(address);
    const bits = version === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? bits : Number(prefixText);
    if (version === 0 || rest.length > 0 || !/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) {
      problems.push(`TRUSTED_PROXIES: "${entry}" is not an IP address or a CIDR network (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)`);
      continue;
    }
    subnets.push({ address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' });
  }
  return subnets;
}
