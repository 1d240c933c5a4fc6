import { expect } from 'chai';
import { CommanderError } from 'commander';

/** Test helpers for the bench tools' command lines (commander). */

/** How a command line that exits ended: its exit code and what it wrote on stdout. */
export interface Exit {
  readonly code: number | undefined;
  readonly stdout: string;
}

class Exited extends Error {
  constructor(readonly code: number | undefined) {
    super(`process.exit(${code})`);
  }
}

/**
 * Runs `parse`, which must end the process (as --help does), with process.exit and stdout's write
 * replaced for the call only: the exit is thrown and caught here, the output collected.
 */
export function runToExit(parse: () => unknown): Exit {
  const { exit } = process;
  const write = process.stdout.write;
  let stdout = '';
  process.exit = ((code?: number) => {
    throw new Exited(code);
  }) as typeof process.exit;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    parse();
  } catch (error) {
    if (error instanceof Exited) return { code: error.code, stdout };
    throw error;
  } finally {
    process.exit = exit;
    process.stdout.write = write;
  }
  throw new Error('the command line returned instead of exiting');
}

/** The usage error (commander's) that `parse` throws; the test fails when it accepts `argv`. */
export function usageErrorOf(parse: (...argv: string[]) => unknown, ...argv: string[]): CommanderError {
  try {
    parse(...argv);
  } catch (error) {
    expect(error).to.be.instanceOf(CommanderError);
    return error as CommanderError;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}
