import type { Context } from 'koa';
import { HttpError } from '../http/http-error';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/** `?page=&pageSize=` of every admin list: whole numbers, page from 1, pageSize up to 500 (default 50). */
export function paging(ctx: Context): { page: number; pageSize: number } {
  return {
    page: positive(ctx, 'page', 1, Number.MAX_SAFE_INTEGER),
    pageSize: positive(ctx, 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
  };
}

function positive(ctx: Context, name: string, fallback: number, max: number): number {
  const raw = queryParameter(ctx, name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new HttpError(400, `${name} must be a whole number from 1 to ${max}, not "${raw}"`);
  }
  return value;
}

/** A query parameter's value; the first when it is repeated. */
export function queryParameter(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  return Array.isArray(value) ? value[0] : value;
}
