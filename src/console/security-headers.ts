import type { Context, Next } from 'koa';

/**
 * The headers on every console response, error pages and redirects included:
 *
 * - Content-Security-Policy: everything from scimd itself, no inline script or style (pages load
 *   /admin/assets/*), no plugins, no <base>; `frame-ancestors 'none'` (no framing, so no
 *   click-jacking); `form-action 'self'` plus the OIDC provider's origin, since a form may be
 *   followed by the redirect to the provider.
 * - X-Frame-Options DENY for browsers without frame-ancestors; X-Content-Type-Options nosniff;
 *   Referrer-Policy same-origin (a console URL never leaves in a Referer).
 * - Cache-Control no-store: pages show who holds which roles; nothing is kept in a shared or a
 *   browser cache. An asset route may set its own Cache-Control after this ran.
 */
export function securityHeaders(options: { readonly oidcOrigins?: readonly string[] } = {}) {
  const formAction = ["'self'", ...(options.oidcOrigins ?? [])].join(' ');
  const policy = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "object-src 'none'",
    "base-uri 'none'", "frame-ancestors 'none'", `form-action ${formAction}`,
  ].join('; ');
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.set('Content-Security-Policy', policy);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}
