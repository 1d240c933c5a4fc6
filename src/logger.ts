import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';
import { describeError } from './log-error';

/**
 * JSON logs on stdout (or stderr for the CLI, whose stdout is for output). Authorization headers,
 * cookies, passwords and tokens are redacted wherever they appear in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization',
  '*.password', '*.token', '*.secret', '*.bindPassword', 'password', 'token', 'secret',
];

/**
 * `destination`: a file descriptor, or a stream (tests read the lines back). Errors logged under
 * `err` (pino's convention, also what `logger.error(error)` uses) are described by describeError
 * (src/log-error.ts), so that no log line carries a failed query's bound values, whoever logs it.
 */
export function createLogger(level: LogLevel, destination: 1 | 2 | DestinationStream = 1): Logger {
  return pino({
    level,
    base: { service: 'scimd' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: describeError },
  }, typeof destination === 'number' ? pino.destination({ fd: destination, sync: destination === 2 }) : destination);
}

export type { Logger };
