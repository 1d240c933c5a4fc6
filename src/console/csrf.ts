import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { tokensEqual } from '../auth/console-sessions';
import { HttpError } from '../http/http-error';
import { consoleState } from './state';

/** The form field and the header that carry the session's CSRF token. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_TYPE = 'application/x-www-form-urlencoded';

interface FormState {
  consoleForm?: URLSearchParams;
}

/**
 * The parsed `application/x-www-form-urlencoded` body of a console POST. The CSRF check reads it
 * (the body can be read once), so a page handler takes the form from here; empty for other bodies.
 */
export function consoleForm(ctx: Context): URLSearchParams {
  return (ctx.state as FormState).consoleForm ?? new URLSearchParams();
}

/** Reads and keeps the request's form body (at most `limitBytes`); any other media type reads as an empty form. */
export async function readConsoleForm(ctx: Context, limitBytes: number): Promise<URLSearchParams> {
  const state = ctx.state as FormState;
  if (state.consoleForm) return state.consoleForm;
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  let form = new URLSearchParams();
  if (type === FORM_TYPE) {
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
    } catch (error) {
      const status = (error as { status?: number }).status === 413 ? 413 : 400;
      throw new HttpError(status, status === 413 ? `The form is larger than ${limitBytes} bytes` : 'The form could not be read');
    }
    form = new URLSearchParams(text);
  }
  state.consoleForm = form;
  return form;
}

/**
 * Refuses (403) a request whose Origin, or else Referer, names another origin than the console's
 * own. Browsers send Origin with every POST; a request without either (a non-browser client, a
 * privacy extension) is left to the token check.
 */
export function assertSameOrigin(ctx: Context, origins: readonly string[]): void {
  const origin = ctx.get('Origin');
  if (origin !== '') {
    if (!origins.includes(origin)) throw forbidden(`This form was sent from ${origin === 'null' ? 'an opaque origin' : origin}, not from the console`);
    return;
  }
  const referer = ctx.get('Referer');
  if (referer === '') return;
  let refererOrigin: string;
  try {
    refererOrigin = new URL(referer).origin;
  } catch {
    throw forbidden('This form was sent from a page that is not the console');
  }
  if (!origins.includes(refererOrigin)) throw forbidden(`This form was sent from ${refererOrigin}, not from the console`);
}

/**
 * CSRF protection of every state-changing console request (synchronizer token): a method other than
 * GET, HEAD and OPTIONS must carry the session's CSRF token, in the `_csrf` field of a form or in
 * the X-CSRF-Token header (for the console's own script), compared in constant time, and must not
 * come from another origin. Otherwise 403 before any handler runs: nothing is changed. Runs after
 * the session middleware; the SameSite=Strict session cookie is the second line.
 */
export function requireCsrf(options: { readonly origins: (ctx: Context) => readonly string[]; readonly maxBodyBytes: number }) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (SAFE_METHODS.has(ctx.method)) return next();
    assertSameOrigin(ctx, options.origins(ctx));
    const expected = consoleState(ctx).csrfToken;
    const header = ctx.get(CSRF_HEADER);
    const presented = header !== '' ? header : (await readConsoleForm(ctx, options.maxBodyBytes)).get(CSRF_FIELD) ?? '';
    if (presented === '' || !tokensEqual(presented, expected)) {
      throw forbidden('The form is missing its security token or it does not match your session (it may be from an older page). '
        + 'Reload the page and try again; nothing was changed.');
    }
    await next();
  };
}

function forbidden(detail: string): HttpError {
  return new HttpError(403, detail);
}
