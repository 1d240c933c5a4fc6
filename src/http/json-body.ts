import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { HttpError } from './http-error';
import { MAX_JSON_DEPTH, nestingDepth } from './json-depth';

/** What a face accepts as a request body. */
export interface JsonBodyRules {
  readonly limitBytes: number;
  /** Accepted media types, lower case, without parameters (a charset parameter is ignored). */
  readonly mediaTypes: readonly string[];
  /** An absent or blank body: refused with 400, or read as `{}` (an optional body). */
  readonly whenEmpty: 'refuse' | 'empty object';
}

/**
 * Reads a request body that must be a JSON object, for both faces. Each refusal is an HttpError the
 * caller can act on: 413 over the size limit (announced or counted while reading), 415 for another
 * media type, 400 for an empty body (when refused), for nesting deeper than MAX_JSON_DEPTH
 * (scimType invalidValue: checked before parsing, so no recursive code ever sees such a value,
 * Bulk operations included), for text that is not JSON and for JSON that is not an object
 * (invalidSyntax).
 */
export async function readJsonObject(ctx: Context, rules: JsonBodyRules): Promise<Record<string, unknown>> {
  const declared = Number(ctx.get('Content-Length') || '0');
  if (declared > rules.limitBytes) throw tooLarge(rules.limitBytes);
  // Checked before reading when a body is announced, so a body of the wrong type is not read at all;
  // a request without Content-Length or Transfer-Encoding has no body, and its type does not matter.
  if (declared > 0 || ctx.get('Transfer-Encoding') !== '') refuseOtherTypes(ctx, rules.mediaTypes);
  const text = await readText(ctx, rules.limitBytes);
  if (text.trim() === '') {
    if (rules.whenEmpty === 'empty object') return {};
    throw invalidSyntax('The request body is empty; a JSON object is expected');
  }
  if (nestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new HttpError(400, `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`,
      { scimType: 'invalidValue' });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalidSyntax(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidSyntax('The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function refuseOtherTypes(ctx: Context, accepted: readonly string[]): void {
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  if (!accepted.includes(type)) {
    throw new HttpError(415, `Content-Type must be ${accepted.join(' or ')}${type ? `, not ${type}` : ''}`);
  }
}

async function readText(ctx: Context, limitBytes: number): Promise<string> {
  try {
    return await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
  } catch (error) {
    const { type: reason } = error as { type?: string };
    if (reason === 'entity.too.large') throw tooLarge(limitBytes);
    if (reason === 'encoding.unsupported') throw new HttpError(415, 'The body must be UTF-8');
    throw invalidSyntax('The request body could not be read');
  }
}

const invalidSyntax = (detail: string): HttpError => new HttpError(400, detail, { scimType: 'invalidSyntax' });

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `The request body is larger than the limit of ${limitBytes} bytes`);
}
