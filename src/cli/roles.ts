import type { Command } from 'commander';
import { loadConfig } from '../config';
import { RoleAssignments, type EditOutcome } from '../identity/role-assignments';
import { printJson } from './output';
import { cliContext, withStore } from './store';

/**
 * `scimd role grant USER ROLE` and `scimd role revoke USER ROLE`: the local operator, root of trust,
 * assigns and withdraws roles directly (bootstrap, break-glass). The change goes through the same
 * floor-2 path as the admin API's, is audited as the CLI operator and notifies the user by e-mail.
 */
export function registerRoleCommands(program: Command): void {
  const role = program.command('role').description('grant and revoke a user\'s roles as the local operator (applied at once, audited)');
  for (const verb of ['grant', 'revoke'] as const) {
    role.command(`${verb} <user> <role>`)
      .description(verb === 'grant'
        ? 'give USER (userName or id) the ROLE (name or id), without approval: the CLI is the root of trust'
        : 'take the ROLE (name or id) from USER (userName or id)')
      .option('--json', 'print the user\'s roles afterwards as JSON')
      .action(async (user: string, roleName: string, options: { json?: boolean }) => {
        const outcome = await withStore(async (dataSource) => {
          const assignments = new RoleAssignments(dataSource, loadConfig().governance);
          const userId = await assignments.userIdOf(user);
          return assignments.edit(cliContext(), userId, verb === 'grant' ? { add: [roleName], remove: [] } : { add: [], remove: [roleName] });
        });
        print(verb, user, roleName, outcome, options.json === true);
      });
  }
}

function print(verb: 'grant' | 'revoke', user: string, roleName: string, outcome: EditOutcome, json: boolean): void {
  if (outcome.status !== 'applied') throw new Error('the CLI operator\'s role changes apply at once');
  if (json) {
    printJson(outcome);
    return;
  }
  const changed = verb === 'grant' ? outcome.added.length > 0 : outcome.removed.length > 0;
  process.stdout.write(changed
    ? `${verb === 'grant' ? 'Granted' : 'Revoked'} "${roleName}" ${verb === 'grant' ? 'to' : 'from'} ${user}${outcome.notice ? ' (e-mail notice queued)' : ''}\n`
    : `${user} ${verb === 'grant' ? 'already holds' : 'does not hold'} "${roleName}" through this door: nothing changed\n`);
  process.stdout.write(`Roles of ${user}: ${outcome.roles.map((held) => `${held.name} (${held.source})`).join(', ') || '(none)'}\n`);
}
