import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { contextOf } from '../../auth/principal';
import type { ChangeContext } from '../../identity/change-context';
import { toFailure } from '../../http/failure';
import { HttpError } from '../../http/http-error';
import { consoleForm } from '../csrf';
import { html, href, type Html } from '../html';
import { layout, maySee, SECTIONS, type PageFrame, type Section } from '../layout';
import { consoleState } from '../state';

/** Rows per page of every console list (the JSON API's default page size). */
export const PAGE_SIZE = 50;

/** The signed-in person and the CSRF token of this request. */
export function frameOf(ctx: Context): PageFrame {
  const state = consoleState(ctx);
  return { principal: state.principal, csrfToken: state.csrfToken };
}

/** Sends a page in the layout. */
export function sendPage(ctx: Context, input: { title: string; section?: Section; body: Html }, status = 200): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = layout(frameOf(ctx), input);
}

/** Refuses (403, as a page in the layout) a person who may not open the section. */
export function requireSection(section: Section) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!maySee(consoleState(ctx).principal, section)) {
      const needed = SECTIONS[section].anyOf;
      throw new HttpError(403, `${SECTIONS[section].label} needs ${needed.length > 1 ? 'one of the permissions' : 'the permission'} `
        + `${needed.join(', ')}, which your roles do not grant. Ask an administrator if you need it.`);
    }
    await next();
  };
}

/**
 * Renders a failure of a console page as a page in the layout (the person keeps the nav): a domain
 * error of a form (approving one's own request, a run already going), a 403 or 404. Anything
 * unexpected goes on to the app's error renderer (logged, 500).
 */
export function renderPageErrors() {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      const failure = toFailure(error);
      if (!failure || (ctx.state as { console?: unknown }).console === undefined) throw error;
      const title = `${failure.status} ${STATUS_CODES[failure.status] ?? 'Error'}`;
      sendPage(ctx, {
        title,
        body: html`<p class="notice error" role="alert">${failure.detail}</p><p><a href="/admin">Back to the dashboard</a></p>`,
      }, failure.status);
      for (const [name, value] of Object.entries(failure.headers)) ctx.set(name, value);
    }
  };
}

/** The acting identity of a console change: the signed-in person, through the console door. */
export function changeContext(ctx: Context): ChangeContext {
  return contextOf(consoleState(ctx).principal, 'console', typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined);
}

/** A form field of the POST (the CSRF middleware read the body), trimmed; undefined when absent or empty. */
export function formField(ctx: Context, name: string): string | undefined {
  const value = consoleForm(ctx).get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Sends the browser on after a form (Post/Redirect/Get). */
export function seeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}

/** A query parameter (the first when repeated), trimmed; undefined when empty. */
export function queryText(ctx: Context, name: string, maxLength = 255): string | undefined {
  const raw = ctx.query[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (value === undefined || value === '') return undefined;
  if (value.length > maxLength) throw new HttpError(400, `${name} is longer than ${maxLength} characters`);
  return value;
}

/** `?page=` from 1 (as the JSON API's lists). */
export function pageNumber(ctx: Context): number {
  const raw = queryText(ctx, 'page', 16);
  if (raw === undefined) return 1;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(400, `page must be a whole number from 1, not "${raw}"`);
  }
  return Number(raw);
}

/** A value that must be one of a list; undefined when absent. */
export function oneOf<T extends string>(ctx: Context, name: string, allowed: readonly T[]): T | undefined {
  const value = queryText(ctx, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new HttpError(400, `${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Offset paging links of a list: "Page 2 of 7 (312)", previous and next, keeping the filters. */
export function pager(path: string, query: Readonly<Record<string, string | undefined>>, page: number, total: number, label: string): Html {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const link = (target: number) => href(path, { ...query, page: target === 1 ? undefined : target });
  return html`<nav class="pager" aria-label="${label} pages">
${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">‹ Previous</a>` : ''}
<span>Page ${page} of ${pages} · <data value="${total}">${total.toLocaleString('en-US')}</data> in all</span>
${page < pages ? html`<a href="${link(page + 1)}" rel="next">Next ›</a>` : ''}
</nav>`;
}

/** An ISO 8601 time as a <time> element, written "2026-11-23 13:11:45 UTC". */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC</time>`;
}

/** A duration in milliseconds for reading: 850 ms, 12.3 s, 4 min 05 s. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')} s`;
}

/** ISO 8601 from a date or date-time field of a filter form (yyyy-mm-dd means the start of that day, UTC). */
export function dateParameter(ctx: Context, name: string, endOfDay = false): string | undefined {
  const value = queryText(ctx, name, 40);
  if (value === undefined) return undefined;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const parsed = Date.parse(day ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(parsed)) throw new HttpError(400, `${name} must be a date (yyyy-mm-dd) or an ISO 8601 time, not "${value}"`);
  return new Date(parsed + (day && endOfDay ? 86_400_000 : 0)).toISOString();
}
