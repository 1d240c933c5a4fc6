import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { ScimError, invalidSyntax } from '../../scim/errors';

/** RFC 7644 §3.1 media type; plain JSON is accepted too, as Okta and others send it. */
const ACCEPTED_TYPES = ['application/scim+json', 'application/json'];

/**
 * Reads and parses a SCIM request body with a hard size limit. Each failure is a SCIM error the
 * client can act on: 415 for a wrong content type, 413 when too large, 400 invalidSyntax otherwise.
 */
export async function readScimBody(ctx: Context, limitBytes: number): Promise<unknown> {
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  const declared = Number(ctx.get('Content-Length') || '0');
  if (declared > limitBytes) throw tooLarge(limitBytes);
  if (!ACCEPTED_TYPES.includes(type)) {
    throw new ScimError(415, undefined,
      `Content-Type must be application/scim+json or application/json${type ? `, not ${type}` : ''}`);
  }
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: limitBytes, encoding: 'utf8' });
  } catch (error) {
    const { type: reason } = error as { type?: string };
    if (reason === 'entity.too.large') throw tooLarge(limitBytes);
    if (reason === 'encoding.unsupported') throw new ScimError(415, undefined, 'The body must be UTF-8');
    throw invalidSyntax('The request body could not be read');
  }
  if (text.trim() === '') throw invalidSyntax('The request body is empty; a JSON object is expected');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalidSyntax(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidSyntax('The request body must be a JSON object');
  }
  return body;
}

function tooLarge(limitBytes: number): ScimError {
  return new ScimError(413, undefined, `The request body is larger than the limit of ${limitBytes} bytes`);
}
