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
    hooks: {
      // Given an error and no message, pino makes the error's own message the line's `msg`,
      // unscrubbed: give it the described message instead.
      logMethod(args, method) {
        const [first] = args as unknown[];
        const error = first instanceof Error ? first
          : typeof first === 'object' && first !== null && 'err' in first && !('msg' in first) ? first.err : undefined;
        if (args.length === 1 && error !== undefined) {
          method.apply(this, [first, describeError(error).message]);
          return;
        }
        method.apply(this, args);
      },
    },
  }, typeof destination === 'number' ? pino.destination({ fd: destination, sync: destination === 2 }) : destination);
}

export type { Logger };
