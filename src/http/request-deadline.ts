import type { Context, Next } from 'koa';
import { unavailableError } from '../errors';
import { describeError } from '../log-error';
import type { Logger } from '../logger';

/**
 * The longest a request waits before it is answered 503 (Retry-After, as for a database outage).
 * A database that vanished without closing its connections (a host that lost power, a failover
 * that moved its address, a network partition) leaves a statement already sent waiting until the
 * operating system gives the connection up, about 15 minutes on Linux; no driver setting bounds
 * that wait, so the edge does. 30 s is far above any request of a working database (a Bulk request
 * of 1,000 operations takes a few seconds) and within what identity providers wait for an answer.
 */
export const REQUEST_DEADLINE_MS = 30_000;

export interface RequestDeadlineOptions {
  readonly logger: Logger;
  readonly deadlineMs?: number;
}

/**
 * Answers a request that has not finished by its deadline with the `unavailable` error. The work
 * itself cannot be called off: it goes on, and ends as it would have (a write commits whole with
 * its audit event, or not at all), so the client is told that it may have been applied. What it
 * ends with is ignored, since the answer has gone; an error it ends with is logged.
 */
export function requestDeadline({ logger, deadlineMs = REQUEST_DEADLINE_MS }: RequestDeadlineOptions) {
  return async (ctx: Context, next: Next): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const work = next();
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(unavailableError(`The request did not finish within ${Math.round(deadlineMs / 1000)} s: the database `
          + 'is not answering. It may still be applied; check before sending it again'));
      }, deadlineMs);
    });
    work.catch((error: unknown) => {
      if (late) logger.warn({ err: describeError(error), requestId: ctx.state.requestId as unknown }, 'a request answered at its deadline failed later');
    });
    try {
      await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
