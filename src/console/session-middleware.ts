import type { Context, Next } from 'koa';
import type { ActiveSession, ConsoleSessions } from '../auth/console-sessions';
import type { ConsoleState } from './state';
import { clearCookie, readCookie, setCookie } from './cookies';

/** The session cookie: the random session id; HttpOnly, SameSite=Strict, Path=/admin, Secure behind HTTPS. */
export const SESSION_COOKIE = 'scimd_session';
export const CONSOLE_PATH = '/admin';
export const SIGN_IN_PATH = '/admin/sign-in';
/** Paths under it are served without a session (the style sheet and script the sign-in page uses too). */
export const PUBLIC_ASSETS_PATH = '/admin/assets/';

interface SessionState {
  console?: ConsoleState;
  consoleSession?: ActiveSession;
}

/** True when cookies must be Secure: the console is published over HTTPS, or this request came over TLS. */
export function secureCookies(ctx: Context, publicUrl: string): boolean {
  return publicUrl.startsWith('https:') || ctx.secure;
}

/** Sets the session cookie on a response (at sign-in). */
export function setSessionCookie(ctx: Context, secret: string, publicUrl: string): void {
  setCookie(ctx, SESSION_COOKIE, secret, { path: CONSOLE_PATH, sameSite: 'Strict', secure: secureCookies(ctx, publicUrl) });
}

export function clearSessionCookie(ctx: Context, publicUrl: string): void {
  clearCookie(ctx, SESSION_COOKIE, { path: CONSOLE_PATH, sameSite: 'Strict', secure: secureCookies(ctx, publicUrl) });
}

/** The live session of this request, as loadSession found it; undefined when signed out. */
export function currentSession(ctx: Context): ActiveSession | undefined {
  return (ctx.state as SessionState).consoleSession;
}

/**
 * Finds the session the cookie names (the person's current roles included) and leaves it on
 * ctx.state.console for the pages; a cookie that names no live session (expired, revoked, the
 * person deactivated) is cleared. Never refuses: requireSession does, where a session is needed.
 */
export function loadSession(sessions: ConsoleSessions, publicUrl: string) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const secret = readCookie(ctx, SESSION_COOKIE);
    if (secret !== undefined && secret !== '') {
      const session = await sessions.find(secret);
      if (session) {
        const state = ctx.state as SessionState;
        state.consoleSession = session;
        state.console = { principal: session.principal, csrfToken: session.csrfToken, sessionId: session.sessionId };
      } else {
        clearSessionCookie(ctx, publicUrl);
      }
    }
    await next();
  };
}

/**
 * Every console route after it needs a signed-in person: without a live session the browser is
 * sent (303) to the sign-in page, which brings it back to the page it asked for (GET only; a
 * refused POST changed nothing and is not repeated). Assets under /admin/assets/ need no session.
 */
export function requireSession() {
  return async (ctx: Context, next: Next): Promise<void> => {
    if ((ctx.state as SessionState).console || ctx.path.toLowerCase().startsWith(PUBLIC_ASSETS_PATH)) return next();
    const back = ctx.method === 'GET' || ctx.method === 'HEAD' ? safeNext(ctx.originalUrl) : undefined;
    ctx.status = 303;
    ctx.redirect(back === undefined || back === CONSOLE_PATH ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(back)}`);
  };
}

/**
 * A `next` the sign-in may send the browser to: only a path of the console itself (`/admin` or
 * under it), never another site (`//evil.example`, `/\evil.example`, `https://…`), so sign-in is no
 * open redirect. Anything else: undefined (the caller goes to /admin).
 */
export function safeNext(value: string | undefined | null): string | undefined {
  if (!value || value.length > 2000 || !value.startsWith('/') || value.includes('\\') || hasControlCharacter(value)) return undefined;
  if (value.startsWith('//')) return undefined;
  let url: URL;
  try {
    url = new URL(value, 'http://console.invalid');
  } catch {
    return undefined;
  }
  if (url.origin !== 'http://console.invalid') return undefined;
  if (url.pathname !== CONSOLE_PATH && !url.pathname.startsWith(`${CONSOLE_PATH}/`)) return undefined;
  if (url.pathname.toLowerCase().startsWith('/admin/sign-')) return undefined;
  return `${url.pathname}${url.search}`;
}

function hasControlCharacter(value: string): boolean {
  return [...value].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f);
}
