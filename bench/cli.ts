import { CommanderError, InvalidArgumentError, type Command } from 'commander';

/**
 * What the bench tools' command lines (commander) share: option parsers (`Option.argParser`), whose
 * failures commander reports after the option and its value, and the set-up of a command whose
 * parsing function tests call.
 */

/** A whole number (digits only: no sign, fraction or exponent) of at least `min`, for `--${option}`. */
export function wholeNumber(option: string, min = 1): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`--${option} must be a whole number, not "${text}"`);
    const value = Number(text);
    if (value < min) throw new InvalidArgumentError(`--${option} must be at least ${min}`);
    return value;
  };
}

/** A comma-separated list of whole numbers of at least `min` ("10,50"), spaces around each allowed. */
export function wholeNumberList(option: string, min = 1): (text: string) => number[] {
  const one = wholeNumber(option, min);
  return (text) => text.split(',').map((part) => one(part.trim()));
}

/** A comma-separated list of keys ("get-user,create-user"), trimmed, empty ones dropped. */
export function keyList(text: string): string[] {
  return text.split(',').map((key) => key.trim()).filter((key) => key !== '');
}

/**
 * A usage error is thrown, as commander's CommanderError carrying the message commander would have
 * printed, instead of printed and exited on (so that tests see it); --help still prints the help and
 * exits 0. The tool's `main().catch(failed)` prints the message.
 */
export function throwUsageErrors(command: Command): Command {
  return command
    .configureOutput({ outputError: () => undefined })
    .exitOverride((error) => {
      // When this returns, commander exits with the error's code: 0 after the help.
      if (error.exitCode !== 0) throw error;
    });
}

/** A bench tool's end on an error: a usage error as its message and a hint, anything else in full. */
export function failed(error: unknown): void {
  console.error(error instanceof CommanderError ? `${error.message}\n(add --help for usage)` : error);
  process.exitCode = 1;
}

/** Defaults of the options that alternating-slice tools share (compare.ts, write-sql.bench.ts). */
export interface SliceDefaults {
  readonly slices: number;
  readonly slice: number;
}

/**
 * Adds the options of a tool that seeds users and loads in alternating slices: --users, --slices,
 * --slice and --connections (10,000 users and 10 connections by default, as the bench tools use).
 */
export function sliceOptions(command: Command, defaults: SliceDefaults): Command {
  return command
    .option('--users <N>', 'users to seed', wholeNumber('users'), 10_000)
    .option('--slices <N>', 'alternating slices of each side', wholeNumber('slices'), defaults.slices)
    .option('--slice <S>', 'seconds per slice', wholeNumber('slice'), defaults.slice)
    .option('--connections <N>', 'connections sending at once', wholeNumber('connections'), 10);
}
