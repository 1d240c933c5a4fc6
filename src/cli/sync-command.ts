import type { Command } from 'commander';

/**
 * The `scimd sync` command group, created on first use and returned as it is afterwards, so that
 * each file registering `sync …` sub-commands (reports, runs) adds to the same group.
 */
export function syncCommand(program: Command): Command {
  return program.commands.find((command) => command.name() === 'sync')
    ?? program.command('sync').description('Active Directory sync: runs, reports and state');
}
