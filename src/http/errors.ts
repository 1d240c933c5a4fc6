import type { Context, Next } from 'koa';
import { describeError } from '../log-error';
import type { Logger } from '../logger';
import type { Face } from './faces';
import { toFailure, type Failure } from './failure';

export interface ErrorRendererOptions {
  readonly logger: Logger;
  /** The face whose wire format answers a request to `path`. */
  readonly faceOf: (path: string) => Face;
}

/**
 * The one place failures become responses, for every face: whatever was thrown, or a route that
 * did not answer (404, and the 405/501 the routers' allowedMethods set), gets its status, the
 * headers the error carries and the body of the face the path belongs to. Unexpected errors are
 * logged, described without their bound values (src/log-error.ts), with the request id, and
 * answered 500 without internals.
 */
export function renderErrors({ logger, faceOf }: ErrorRendererOptions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    let failure: Failure | undefined;
    try {
      await next();
      failure = unanswered(ctx);
    } catch (error) {
      failure = toFailure(error);
      if (!failure) {
        const requestId = String(ctx.state.requestId);
        logger.error({ err: describeError(error), requestId }, 'request failed');
        failure = { status: 500, detail: `Internal error; quote request id ${requestId}`, headers: {} };
      }
    }
    if (!failure) return;
    const face = faceOf(ctx.path);
    ctx.status = failure.status;
    for (const [name, value] of Object.entries(failure.headers)) ctx.set(name, value);
    ctx.type = face.contentType;
    ctx.body = face.body(failure);
  };
}

/** A request no route answered: Koa's default 404, or the 405/501 (with Allow) of allowedMethods. */
function unanswered(ctx: Context): Failure | undefined {
  if (ctx.body !== undefined && ctx.body !== null) return undefined;
  switch (ctx.status) {
    case 404: return { status: 404, detail: `No resource at ${ctx.method} ${ctx.path}`, headers: {} };
    case 405: return { status: 405, detail: `${ctx.method} is not allowed on ${ctx.path}`, headers: {} };
    case 501: return { status: 501, detail: `${ctx.method} is not implemented`, headers: {} };
    default: return undefined;
  }
}
