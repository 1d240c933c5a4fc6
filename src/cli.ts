import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { ConfigError, DomainError } from './errors';
import { registerAccountCommands } from './cli/accounts';
import { registerAdminCommands } from './cli/admin';
import { serve } from './cli/serve';
import { registerSyncReportCommands } from './cli/sync-reports';
import { registerSyncRunCommand } from './cli/sync-run';
import { describeError } from './log-error';

/** The `scimd` command line. Every command reads the same environment (and .env) as the server. */
function buildProgram(): Command {
  const program = new Command('scimd')
    .description('SCIM 2.0 provisioning server with Active Directory sync')
    .showHelpAfterError()
    .exitOverride();
  program.command('serve', { isDefault: true })
    .description('serve SCIM on HOST:PORT (default 127.0.0.1:8080)')
    .action(serve);
  registerAdminCommands(program);
  registerAccountCommands(program);
  registerSyncReportCommands(program);
  registerSyncRunCommand(program);
  return program;
}

async function main(): Promise<void> {
  loadDotEnv();
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError || error instanceof DomainError) {
      process.stderr.write(`scimd: ${error.message}\n`);
      process.exitCode = error instanceof DomainError && error.kind === 'notFound' ? 3 : 1;
      return;
    }
    // Unexpected: a database error's message may quote bound values, and stderr often ends up in logs.
    const { type, message, code } = describeError(error);
    process.stderr.write(`scimd: ${type}: ${message}${code ? ` (${code})` : ''}\n`);
    process.exitCode = 1;
  }
}

/** A .env in the working directory fills in variables the environment does not set. */
function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

void main();
