import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/**
 * JSON logs on stdout (or stderr for the CLI, whose stdout is for output). Authorization headers,
 * cookies, passwords and tokens are redacted wherever they appear in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization',
  '*.password', '*.token', '*.secret', '*.bindPassword', 'password', 'token', 'secret',
];

export function createLogger(level: LogLevel, destination: 1 | 2 = 1): Logger {
  return pino({
    level,
    base: { service: 'scimd' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }, pino.destination({ fd: destination, sync: destination === 2 }));
}

export type { Logger };
