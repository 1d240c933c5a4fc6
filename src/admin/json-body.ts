import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { Problem } from './problem';

/**
 * Reads an optional JSON object body with a hard size limit: no body (or an empty one) is `{}`.
 * 415 for another media type, 413 when too large, 400 when it is not a JSON object.
 */
export async function readJsonObject(ctx: Context, limitBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(ctx.get('Content-Length') || '0');
  if (declared > limitBytes) throw tooLarge(limitBytes);
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') throw tooLarge(limitBytes);
    throw new Problem(400, 'The request body could not be read');
  }
  if (text.trim() === '') return {};
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  if (type !== 'application/json') {
    throw new Problem(415, `Content-Type must be application/json${type ? `, not ${type}` : ''}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new Problem(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Problem(400, 'The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function tooLarge(limitBytes: number): Problem {
  return new Problem(413, `The request body is larger than the limit of ${limitBytes} bytes`);
}
