import { randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { tokensEqual, type ConsoleSessions } from '../auth/console-sessions';
import { PersonalTokens } from '../auth/personal-tokens';
import { contextOf } from '../auth/principal';
import { parseToken } from '../auth/tokens';
import { UserEntity } from '../db/entities';
import type { HttpState } from '../http/state';
import { clearCookie, readCookie, setCookie } from './cookies';
import { assertSameOrigin, readConsoleForm } from './csrf';
import { escapeText, plainPage } from './error-page';
import { OidcSignInError, type OidcRelyingParty } from './oidc';
import {
  clearSessionCookie, CONSOLE_PATH, currentSession, safeNext, secureCookies, setSessionCookie, SIGN_IN_PATH,
} from './session-middleware';
import { consoleState } from './state';

/**
 * The pre-session token of the sign-in form (double submit): the page sets it in a SameSite=Strict
 * cookie and in a hidden field, and the form's POST must carry both, equal. Another site cannot
 * read the cookie to forge the field, so it cannot sign a browser in as someone else (login CSRF).
 */
const SIGN_IN_COOKIE = 'scimd_signin';
const SIGN_IN_FIELD = '_signin';
/** The OIDC login's secret and where to go afterwards, between the redirect to the provider and its callback. */
const OIDC_LOGIN_COOKIE = 'scimd_oidc_login';
const OIDC_LOGIN_SECONDS = 600;

export interface SignInOptions {
  readonly dataSource: DataSource;
  readonly sessions: ConsoleSessions;
  readonly oidc?: OidcRelyingParty;
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  /** Origins a console form may be posted from. */
  readonly origins: (ctx: Context) => readonly string[];
}

/**
 * The routes reached without a session: the sign-in page, sign-in with a personal access token,
 * the start and the callback of sign-in with OpenID Connect, and GET /admin/session (who is signed
 * in, as JSON; 401 when nobody). Registered on the console router before its session check.
 */
export function registerSignInRoutes(router: Router<HttpState>, options: SignInOptions): void {
  const tokens = new PersonalTokens(options.dataSource);

  router.get('/sign-in', (ctx) => {
    const next = safeNext(ctx.query.next as string | undefined);
    if (currentSession(ctx)) {
      ctx.status = 303;
      ctx.redirect(next ?? CONSOLE_PATH);
      return;
    }
    renderSignIn(ctx, options, { next, notice: ctx.query['signed-out'] === undefined ? undefined : 'You are signed out.' });
  });

  router.post('/sign-in/token', async (ctx) => {
    assertSameOrigin(ctx, options.origins(ctx));
    const form = await readConsoleForm(ctx, options.maxBodyBytes);
    const next = safeNext(form.get('next'));
    const expected = readCookie(ctx, SIGN_IN_COOKIE) ?? '';
    const presented = form.get(SIGN_IN_FIELD) ?? '';
    if (expected === '' || presented === '' || !tokensEqual(presented, expected)) {
      ctx.status = 403;
      renderSignIn(ctx, options, { next, error: 'The sign-in form expired or did not come from this page. Please try again.' });
      return;
    }
    const token = (form.get('token') ?? '').trim();
    const parsed = parseToken(token);
    if (parsed?.kind === 'service') {
      ctx.status = 403;
      renderSignIn(ctx, options, {
        next, error: 'This is a service account\'s token. The console is for persons: sign in with your personal access token (scimd_p_…).',
      });
      return;
    }
    const principal = parsed ? await tokens.authenticate(token) : undefined;
    const session = principal ? await options.sessions.open(principal.id, 'token', requestIdOf(ctx)) : undefined;
    if (!session) {
      ctx.status = 403;
      renderSignIn(ctx, options, {
        next, error: 'This personal access token is unknown, revoked or expired, or its user is inactive or holds no role that grants a permission.',
      });
      return;
    }
    clearCookie(ctx, SIGN_IN_COOKIE, { path: SIGN_IN_PATH, sameSite: 'Strict', secure: secureCookies(ctx, options.publicUrl) });
    setSessionCookie(ctx, session.secret, options.publicUrl);
    ctx.status = 303;
    ctx.redirect(next ?? CONSOLE_PATH);
  });

  router.get('/sign-in/oidc', async (ctx) => {
    const oidc = options.oidc;
    if (!oidc) {
      ctx.status = 404;
      ctx.type = 'html';
      ctx.body = plainPage('Single sign-on is not configured', '<p>Sign in with your personal access token instead.</p>'
        + `<p><a href="${SIGN_IN_PATH}">Back to sign-in</a></p>`);
      return;
    }
    const next = safeNext(ctx.query.next as string | undefined) ?? CONSOLE_PATH;
    let login;
    try {
      login = await oidc.start();
    } catch (error) {
      if (!(error instanceof OidcSignInError)) throw error;
      signInFailed(ctx, 502, 'Sign-in is not available', error.message);
      return;
    }
    setCookie(ctx, OIDC_LOGIN_COOKIE, `${login.loginSecret}.${Buffer.from(next).toString('base64url')}`, {
      path: '/admin/oidc', sameSite: 'Lax', secure: secureCookies(ctx, options.publicUrl), maxAge: OIDC_LOGIN_SECONDS,
    });
    ctx.status = 303;
    ctx.redirect(login.authorizationUrl);
  });

  router.get('/oidc/callback', async (ctx) => {
    const oidc = options.oidc;
    if (!oidc) return;
    const cookie = readCookie(ctx, OIDC_LOGIN_COOKIE) ?? '';
    // The login cookie is used once, whatever happens now.
    clearCookie(ctx, OIDC_LOGIN_COOKIE, { path: '/admin/oidc', sameSite: 'Lax', secure: secureCookies(ctx, options.publicUrl) });
    const [loginSecret, encodedNext] = cookie.split('.');
    if (!loginSecret || !/^[A-Za-z0-9_-]{43}$/.test(loginSecret)) {
      signInFailed(ctx, 400, 'Sign-in could not be completed',
        'This sign-in was not started in this browser, or it took longer than 10 minutes. Please start again.');
      return;
    }
    const next = safeNext(Buffer.from(encodedNext ?? '', 'base64url').toString('utf8')) ?? CONSOLE_PATH;
    let identity;
    try {
      identity = await oidc.finish(ctx.querystring, loginSecret);
    } catch (error) {
      if (!(error instanceof OidcSignInError)) throw error;
      signInFailed(ctx, 403, 'Sign-in could not be completed', error.message);
      return;
    }
    const user = await options.dataSource.getRepository(UserEntity).findOneBy({ userNameKey: identity.value.toLowerCase() });
    if (!user) {
      signInFailed(ctx, 403, 'No scimd user for you', `${oidc.providerName} signed you in as ${identity.value} (${identity.claim}), `
        + 'but no scimd user has that userName. Ask an administrator to provision you, or to check OIDC_USER_CLAIM.');
      return;
    }
    const session = await options.sessions.open(user.id, 'oidc', requestIdOf(ctx));
    if (!session) {
      signInFailed(ctx, 403, 'The console is for administrators', `You are signed in as ${user.userName}, but `
        + `${user.active ? 'you hold no role that grants a permission in scimd' : 'your scimd user is inactive'}. `
        + 'Ask an administrator for a role.');
      return;
    }
    setSessionCookie(ctx, session.secret, options.publicUrl);
    // Not a 303: this response ends a navigation that started at the provider (cross-site), and a
    // browser does not send a SameSite=Strict cookie on the redirect that follows such a response.
    // A page of ours that moves on (meta refresh) makes the next request a same-site navigation,
    // which carries the new session cookie.
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = plainPage('Signed in', `<p>You are signed in as ${escapeText(user.userName)}.</p>\n`
      + `<p><a id="continue" href="${escapeText(next)}">Continue to the console</a></p>`)
      .replace('</title>', `</title>\n<meta http-equiv="refresh" content="0;url=${escapeText(next)}">`);
  });

  router.get('/session', (ctx) => {
    const session = currentSession(ctx);
    ctx.type = 'json';
    if (!session) {
      ctx.status = 401;
      ctx.body = { signedIn: false };
      return;
    }
    const { principal } = session;
    ctx.body = {
      signedIn: true,
      user: { id: principal.id, userName: principal.name },
      roles: principal.roles,
      permissions: [...principal.permissions].sort(),
      method: session.method,
      createdAt: session.createdAt,
      lastSeenAt: session.lastSeenAt,
      idleExpiresAt: session.idleExpiresAt,
      expiresAt: session.expiresAt,
      csrfToken: session.csrfToken,
    };
  });
}

/**
 * GET /admin/sign-out: a page with the sign-out button (for a link, or a page without the layout);
 * POST /admin/sign-out: behind the session and CSRF checks, revokes the session server-side (audited).
 */
export function registerSignOutRoute(router: Router<HttpState>, options: Pick<SignInOptions, 'sessions' | 'publicUrl'>): void {
  router.get('/sign-out', (ctx) => {
    const { principal, csrfToken } = consoleState(ctx);
    ctx.type = 'html';
    ctx.body = plainPage('Sign out', `<p>You are signed in as ${escapeText(principal.name)}.</p>\n`
      + '<form method="post" action="/admin/sign-out">\n'
      + `<input type="hidden" name="_csrf" value="${escapeText(csrfToken)}">\n`
      + '<button type="submit" class="button" id="sign-out">Sign out</button>\n</form>\n'
      + `<p><a href="${CONSOLE_PATH}">Back to the console</a></p>`);
  });

  router.post('/sign-out', async (ctx) => {
    const { principal, sessionId } = consoleState(ctx);
    await options.sessions.revoke(contextOf(principal, 'console', requestIdOf(ctx)), sessionId);
    clearSessionCookie(ctx, options.publicUrl);
    ctx.status = 303;
    ctx.redirect(`${SIGN_IN_PATH}?signed-out`);
  });
}

function renderSignIn(
  ctx: Context, options: SignInOptions, view: { next?: string | undefined; error?: string; notice?: string | undefined },
): void {
  let presession = readCookie(ctx, SIGN_IN_COOKIE) ?? '';
  if (!/^[A-Za-z0-9_-]{43}$/.test(presession)) {
    presession = randomBytes(32).toString('base64url');
  }
  setCookie(ctx, SIGN_IN_COOKIE, presession, {
    path: SIGN_IN_PATH, sameSite: 'Strict', secure: secureCookies(ctx, options.publicUrl), maxAge: 3600,
  });
  const next = view.next ?? '';
  const oidcLink = options.oidc
    ? `<p><a class="button primary" id="sign-in-oidc" href="${escapeText(`${SIGN_IN_PATH}/oidc${next ? `?next=${encodeURIComponent(next)}` : ''}`)}">`
      + `Sign in with ${escapeText(options.oidc.providerName)}</a></p>\n<p class="or">or</p>\n`
    : '';
  ctx.type = 'html';
  ctx.body = plainPage('Sign in to the scimd console', [
    view.notice ? `<p class="notice" role="status">${escapeText(view.notice)}</p>` : '',
    view.error ? `<p class="error-detail" role="alert">${escapeText(view.error)}</p>` : '',
    oidcLink,
    `<form method="post" action="${SIGN_IN_PATH}/token" class="sign-in-token">`,
    `<input type="hidden" name="${SIGN_IN_FIELD}" value="${escapeText(presession)}">`,
    `<input type="hidden" name="next" value="${escapeText(next)}">`,
    '<label for="token">Personal access token</label>',
    '<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>',
    '<button type="submit" class="button">Sign in with a token</button>',
    '</form>',
    '<p class="hint">An administrator issues personal access tokens on the server: <code>scimd token create --user YOU</code>.</p>',
  ].filter((line) => line !== '').join('\n'));
}

function signInFailed(ctx: Context, status: number, title: string, detail: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = plainPage(title, `<p class="error-detail">${escapeText(detail)}</p>\n<p><a href="${SIGN_IN_PATH}">Back to sign-in</a></p>`);
}

function requestIdOf(ctx: Context): string | undefined {
  const id = (ctx.state as HttpState).requestId;
  return id === undefined ? undefined : String(id);
}
