import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { ConfigError, DomainError, type DomainErrorKind } from './errors';
import { registerAccountCommands } from './cli/accounts';
import { registerAdminCommands } from './cli/admin';
import { registerRoleCommands } from './cli/roles';
import { registerAuditCommands } from './cli/audit';
import { registerDoctorCommand } from './cli/doctor';
import { serve } from './cli/serve';
import { registerSyncReportCommands } from './cli/sync-reports';
import { registerSyncRunCommand } from './cli/sync-run';
import { asDatabaseOutage } from './db/connection-errors';
import { DatabaseUnavailableError } from './db/data-source';
import { describeError, type ErrorDescription } from './log-error';

/**
 * Exit codes, one table for every command (README.md, "Exit codes"). `sync run` also exits 1 when
 * its run failed and 2 when the accidental-delete threshold blocked it; `healthcheck` 1 when the
 * server is not ready. Commander's own usage errors (unknown command or option) exit 1.
 */
const EXIT_FAILED = 1;
const EXIT_NOT_FOUND = 3;
const EXIT_BY_KIND: Readonly<Record<DomainErrorKind, number>> = {
  notFound: EXIT_NOT_FOUND,
  conflict: EXIT_FAILED, forbidden: EXIT_FAILED, mutability: EXIT_FAILED, invalid: EXIT_FAILED,
  preconditionFailed: EXIT_FAILED, unauthorized: EXIT_FAILED, busy: EXIT_FAILED, unavailable: EXIT_FAILED,
};

/** The `scimd` command line. Every command reads the same environment (and .env) as the server. */
function buildProgram(): Command {
  const program = new Command('scimd')
    .description('SCIM 2.0 provisioning server with Active Directory sync')
    // Inherited by every command made below: a usage error ends with this hint, not the whole help
    // (which would push the error and commander's "Did you mean …?" out of sight).
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  // No default command: with one, commander hands every unknown word to it ("too many arguments for
  // 'serve'"); without, an unknown word is an unknown command with the closest match, and `scimd`
  // alone prints the help. `npm start` names `serve`.
  program.command('serve')
    .description('serve SCIM on HOST:PORT (default 127.0.0.1:8080)')
    .action(serve);
  registerAdminCommands(program);
  registerRoleCommands(program);
  registerAccountCommands(program);
  registerSyncReportCommands(program);
  registerSyncRunCommand(program);
  registerAuditCommands(program);
  registerDoctorCommand(program);
  return program;
}

async function main(): Promise<void> {
  stopQuietlyOnClosedPipe(process.stdout);
  stopQuietlyOnClosedPipe(process.stderr);
  process.on('uncaughtException', exitOnUnexpected);
  process.on('unhandledRejection', exitOnUnexpected);
  try {
    loadDotEnv();
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

/** Prints an error as one line on stderr and returns the exit code; commander has printed its own. */
function report(thrown: unknown): number {
  if (thrown instanceof CommanderError) return thrown.exitCode;
  // A database lost during the command is told as the `unavailable` error it is, not as an unexpected
  // one; one that could not be opened at all keeps its own message, which names the database.
  const error = thrown instanceof DatabaseUnavailableError ? thrown : asDatabaseOutage(thrown) ?? thrown;
  if (error instanceof DomainError) {
    process.stderr.write(`scimd: ${error.message}\n`);
    return EXIT_BY_KIND[error.kind];
  }
  if (error instanceof ConfigError || error instanceof DatabaseUnavailableError) {
    process.stderr.write(`scimd: ${error.message}\n`);
    printDetails(describeError(error).cause);
    return EXIT_FAILED;
  }
  // Unexpected: a database error's message may quote bound values, and stderr often ends up in
  // logs, so it is described (src/log-error.ts), never printed raw; its frames only at debug level.
  const described = describeError(error);
  process.stderr.write(`scimd: ${described.type}: ${described.message}${described.code ? ` (${described.code})` : ''}\n`);
  printDetails(described);
  return EXIT_FAILED;
}

/** With LOG_LEVEL=debug or trace: the frames and causes of an error, as describeError tells them. */
function printDetails(described: ErrorDescription | undefined): void {
  if (!['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '')) return;
  for (let link = described, depth = 0; link !== undefined; link = link.cause, depth++) {
    if (depth > 0) process.stderr.write(`  caused by ${link.type}: ${link.message}${link.code ? ` (${link.code})` : ''}\n`);
    if (link.stack) process.stderr.write(`${link.stack.replace(/^/gm, '    ')}\n`);
  }
}

/** An error outside the command's promise (an event handler, a timer): told like any other, then exit. */
function exitOnUnexpected(error: unknown): void {
  process.exit(report(error));
}

/**
 * A reader that has seen enough (`scimd roles list | head -1`) closes the pipe, and the next write
 * fails with EPIPE: the command stops there, quietly, with the exit code it had so far (0 unless
 * it had failed), as there is no one left to tell.
 */
function stopQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit();
    exitOnUnexpected(error);
  });
}

/** A .env in the working directory fills in variables the environment does not set. */
function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code !== 'ENOENT') throw new ConfigError(`.env: cannot read it (${code ?? describeError(error).message})`);
  }
}

void main();
