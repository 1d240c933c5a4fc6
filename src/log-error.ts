/**
 * What a log line may say about an error: its class, its message with quoted text scrubbed, its
 * code, the stack frames (without the message the stack repeats) and, the same way, up to
 * MAX_CAUSES causes. Nothing else: a TypeORM QueryFailedError carries `query`, `parameters` (the
 * bound values: profile data, password hashes) and the driver error with its own copies
 * (mysql2's `sql` has the values inlined), and all of them are own, enumerable properties that a
 * generic error serializer would print.
 */
export interface ErrorDescription {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
  readonly cause?: ErrorDescription;
}

const MAX_CAUSES = 3;
const MAX_MESSAGE_LENGTH = 1000;

/** Marks a description, so that describing it again (an explicit call, then the logger's serializer) returns it as it is. */
const DESCRIBED: unique symbol = Symbol('scimd.describedError');

/**
 * Describes an error for a log line (see ErrorDescription). Pure; safe for any thrown value, and
 * for a description already made. Quoted text is scrubbed from every message because messages
 * quote data: MariaDB quotes the bound value (`Duplicate entry 'alice@example.com' for key …`,
 * `Incorrect integer value: '…' for column …`), V8's JSON.parse quotes the text it could not parse.
 * Whatever lies between the first and the last quote of a message is replaced, so a value that
 * itself contains quotes cannot slip out; unquoted identifiers (MariaDB's `backticked` names) stay.
 */
export function describeError(error: unknown): ErrorDescription {
  if (isDescription(error)) return error;
  const chain: unknown[] = [error];
  for (let cause = causeOf(error); cause !== undefined && chain.length <= MAX_CAUSES; cause = causeOf(cause)) {
    chain.push(cause);
  }
  let described: ErrorDescription | undefined;
  for (const link of chain.reverse()) described = describeOne(link, described);
  return described as ErrorDescription;
}

function describeOne(error: unknown, cause: ErrorDescription | undefined): ErrorDescription {
  const description: ErrorDescription = error instanceof Error
    ? {
      type: typeOf(error),
      message: scrubQuoted(String(error.message)),
      ...codeOf(error),
      ...framesOf(error),
      ...(cause ? { cause } : {}),
    }
    // A thrown string or object may be anything, data included: only its kind is told.
    : { type: error === null ? 'null' : typeof error, message: 'a value that is not an Error was thrown' };
  Object.defineProperty(description, DESCRIBED, { value: true, enumerable: false });
  return description;
}

function isDescription(value: unknown): value is ErrorDescription {
  return typeof value === 'object' && value !== null && (value as { [DESCRIBED]?: boolean })[DESCRIBED] === true;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error && error.cause !== undefined ? error.cause : undefined;
}

function typeOf(error: Error): string {
  const name = error.name || error.constructor.name;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

/** The driver's code (ER_DUP_ENTRY, SQLITE_CONSTRAINT_CHECK, ECONNREFUSED): QueryFailedError copies it from the driver error. */
function codeOf(error: Error): { code?: string } {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' || typeof code === 'number' ? { code: scrubQuoted(String(code)) } : {};
}

/** The `at …` lines only: the first lines of a stack repeat the message, unscrubbed. */
function framesOf(error: Error): { stack?: string } {
  if (typeof error.stack !== 'string') return {};
  // A message of several lines, one of which looked like a frame, must not pass as one.
  const header = `${typeOf(error)}: ${error.message}`;
  const rest = error.stack.startsWith(header) ? error.stack.slice(header.length) : error.stack;
  const frames = rest.split('\n').filter((line) => /^\s+at /.test(line)).map((line) => line.trim());
  return frames.length > 0 ? { stack: frames.join('\n') } : {};
}

/** Replaces everything from the first to the last quote (' or ") with '…'. */
export function scrubQuoted(text: string): string {
  const first = text.search(/['"]/);
  let result = text;
  if (first >= 0) {
    const last = Math.max(text.lastIndexOf("'"), text.lastIndexOf('"'));
    result = last > first ? `${text.slice(0, first)}'…'${text.slice(last + 1)}` : `${text.slice(0, first)}'…`;
  }
  return result.length > MAX_MESSAGE_LENGTH ? `${result.slice(0, MAX_MESSAGE_LENGTH)}…` : result;
}
