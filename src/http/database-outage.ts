import type { Context, Next } from 'koa';
import { asDatabaseOutage } from '../db/connection-errors';
import type { OutageLog } from '../db/outage-log';

/**
 * The HTTP edge's one conversion of a database outage (src/db/connection-errors.ts) into the
 * `unavailable` domain error, which renderErrors (mounted just before this) answers with 503 and
 * Retry-After in the face's format: a SCIM error body, or problem+json under /admin/api. Whatever
 * the route was doing, its transaction did not commit (or committed whole, if the connection broke
 * after COMMIT reached the server), so the client may send the request again.
 *
 * Every request that passed bearer authentication has read the database, so its success ends an
 * outage in the log; the outage itself is logged once (OutageLog), each request's 503 by the request log.
 */
export function databaseOutage(outages: OutageLog) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const begunIn = outages.state;
    try {
      await next();
    } catch (error) {
      const outage = asDatabaseOutage(error);
      if (!outage) throw error;
      outages.failed(error, begunIn);
      throw outage;
    }
    if ((ctx.state as { principal?: unknown }).principal !== undefined) outages.succeeded(begunIn);
  };
}

/**
 * The stores given to the SCIM endpoints, with a database outage in any of their calls turned into
 * the `unavailable` domain error. Needed for Bulk (RFC 7644 §3.7), which catches each operation's
 * error below the edge and maps it with toScimError: without this, an operation caught by an outage
 * would report 500 instead of 503. Single requests reach databaseOutage() either way.
 */
export function outagesAsUnavailable<Store extends object>(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = (value as (...parameters: unknown[]) => unknown).apply(target, args);
        // The store's calls return promises; anything else (a synchronous helper) passes as it is.
        return result instanceof Promise
          ? result.catch((error: unknown) => { throw asDatabaseOutage(error) ?? error; })
          : result;
      };
    },
  });
}
