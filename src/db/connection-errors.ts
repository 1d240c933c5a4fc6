import { DomainError, unavailableError } from '../errors';

/**
 * Tells a database that cannot be reached apart from a statement the database refused. Only the
 * first says nothing about the request: the server stopped, restarted, is out of connections, or
 * the network between us is down, and the same request may succeed in a few seconds. It becomes
 * the `unavailable` domain error (503 with Retry-After on the HTTP faces, exit 1 in the CLI).
 *
 * What mysql2 (through TypeORM) throws when that happens, as seen against a stopped and a killed
 * mariadbd and as read in mysql2 3.x (lib/base/connection.js, lib/base/pool.js):
 * - socket errors with Node's codes: the port is closed (ECONNREFUSED), the server vanished mid-
 *   statement (ECONNRESET, EPIPE), the address is unreachable, the name does not resolve now;
 * - mysql2's own codes: PROTOCOL_CONNECTION_LOST (the server closed the socket), the connect
 *   timeout (ETIMEDOUT with syscall `connect`), PROTOCOL_SEQUENCE_TIMEOUT;
 * - server errors sent as it goes away or refuses a new connection: ER_CON_COUNT_ERROR (1040, too
 *   many connections), ER_SERVER_SHUTDOWN (1053), ER_CONNECTION_KILLED (1927), and
 *   ER_SERVER_GONE_ERROR / ER_SERVER_LOST from the C client's vocabulary, which mysql2 reuses;
 * - any error mysql2 marks `fatal`: it ended the connection, so the statement never completed;
 * - the pool's messages, which carry no code: "Queue limit reached." (every connection busy and the
 *   wait queue full: the database is too slow to keep up), and a command on a connection that had
 *   already failed ("Can't add new command when connection is in closed state").
 * TypeORM wraps a failed statement in QueryFailedError and keeps the driver's error as `driverError`
 * (copying its `code`); DomainErrors keep their lower-level error as `cause`. Both are followed.
 */
const OUTAGE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ER_SERVER_GONE_ERROR', 'ER_SERVER_LOST',
  'CR_SERVER_GONE_ERROR', 'CR_SERVER_LOST', 'CR_CONNECTION_ERROR', 'CR_CONN_HOST_ERROR',
]);

const OUTAGE_MESSAGES: readonly RegExp[] = [
  /^Queue limit reached\.?$/,
  /closed state/,
  /^Connection lost/i,
];

/** How deep to follow `driverError` and `cause` links: enough for DomainError → QueryFailedError → driver error. */
const MAX_DEPTH = 4;

/** True when `error`, or an error it wraps, says the database could not be reached (see the header). */
export function isDatabaseOutage(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_DEPTH && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof DomainError) return current.kind === 'unavailable';
    const { code, fatal, message, driverError, cause } = current as {
      code?: unknown; fatal?: unknown; message?: unknown; driverError?: unknown; cause?: unknown;
    };
    if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
    if (fatal === true) return true;
    if (typeof message === 'string' && OUTAGE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    current = driverError ?? cause;
  }
  return false;
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database cannot be reached at the moment; send the request again in a few seconds';

/**
 * The `unavailable` domain error standing for `error` when it is a database outage (the driver's
 * error kept as the cause, for logs); undefined otherwise. An `unavailable` DomainError is returned as it is.
 */
export function asDatabaseOutage(error: unknown, message = DATABASE_UNAVAILABLE_MESSAGE): DomainError | undefined {
  if (error instanceof DomainError) return error.kind === 'unavailable' ? error : undefined;
  return isDatabaseOutage(error) ? unavailableError(message, error) : undefined;
}
