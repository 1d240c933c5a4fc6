import type { Context } from 'koa';

/**
 * The console's cookies, written and read here rather than through Koa's `ctx.cookies`: that one
 * refuses to set a Secure cookie on a request that reached scimd over plain HTTP, which is exactly
 * the case behind a TLS-terminating proxy (PUBLIC_URL https, `app.proxy` off).
 */
export interface CookieOptions {
  readonly path: string;
  readonly sameSite: 'Strict' | 'Lax';
  readonly secure: boolean;
  /** Seconds; absent: a session cookie (gone when the browser closes). 0 deletes the cookie. */
  readonly maxAge?: number;
}

/** RFC 6265 §4.1.1: cookie-value characters (base64url and the few separators the console uses). */
const COOKIE_VALUE = /^[A-Za-z0-9_.~%-]*$/;

/** Adds a Set-Cookie header (HttpOnly always: no console script reads a cookie). */
export function setCookie(ctx: Context, name: string, value: string, options: CookieOptions): void {
  if (!COOKIE_VALUE.test(value)) throw new Error(`cookie ${name}: value holds characters a cookie may not`);
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.secure) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  ctx.append('Set-Cookie', parts.join('; '));
}

export function clearCookie(ctx: Context, name: string, options: Omit<CookieOptions, 'maxAge'>): void {
  setCookie(ctx, name, '', { ...options, maxAge: 0 });
}

/** The value of a request cookie, or undefined. With several of one name, the first (the most specific path). */
export function readCookie(ctx: Context, name: string): string | undefined {
  for (const pair of ctx.get('Cookie').split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    if (pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
