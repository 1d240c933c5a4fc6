import type { Command } from 'commander';
import { ServiceAccounts, type ServiceAccountView } from '../auth/service-accounts';
import { parseDuration } from '../auth/tokens';
import { invalidError } from '../errors';
import { note, printJson, printTable } from './output';
import { cliContext, withStore } from './store';

/** `scimd service-account …` and `scimd token …`. */
export function registerAccountCommands(program: Command): void {
  const account = program.command('service-account').description('manage service accounts (non-personal API callers)');

  account.command('create <name>')
    .description('create a service account holding the given roles, and print its first token once')
    .requiredOption('-r, --role <role...>', 'role name(s) the account holds, e.g. "SCIM Provisioning"')
    .option('-d, --description <text>', 'what the account is for')
    .option('--expires-in <duration>', 'token lifetime, e.g. 90d, 12h, 1y (default: no expiry)')
    .option('--json', 'print {"id","name","roles","token"} as JSON and nothing else')
    .action(async (name: string, options: { role: string[]; description?: string; expiresIn?: string; json?: boolean }) => {
      const expiresAt = expiryFrom(options.expiresIn);
      const { account: created, token } = await withStore((dataSource) => new ServiceAccounts(dataSource).create(cliContext(), {
        name, roleNames: options.role, ...(options.description ? { description: options.description } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      }));
      if (options.json) {
        printJson({ id: created.id, name: created.name, roles: created.roles, token });
        return;
      }
      process.stdout.write(`Created service account "${created.name}" (${created.id}) with roles: ${created.roles.join(', ')}\n`);
      process.stdout.write(`Token (shown only now; store it in your identity provider):\n\n  ${token}\n\n`);
      if (expiresAt) process.stdout.write(`It expires at ${expiresAt}.\n`);
    });

  account.command('list')
    .description('list service accounts, their roles and tokens (never the secrets)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const accounts = await withStore((dataSource) => new ServiceAccounts(dataSource).list());
      if (options.json) {
        printJson(accounts);
        return;
      }
      if (accounts.length === 0) note('No service accounts yet. Create one with: scimd service-account create <name> --role "SCIM Provisioning"');
      printTable(accounts.flatMap(tokenRows), ['account', 'id', 'roles', 'token', 'status', 'expires', 'lastUsed']);
    });

  const token = program.command('token').description('issue and revoke API tokens');

  token.command('create <account>')
    .description('issue another token for a service account (by name or id); printed once')
    .option('--expires-in <duration>', 'token lifetime, e.g. 90d, 12h, 1y (default: no expiry)')
    .option('--json', 'print {"id","account","token","expiresAt"} as JSON')
    .action(async (accountName: string, options: { expiresIn?: string; json?: boolean }) => {
      const expiresAt = expiryFrom(options.expiresIn);
      const issued = await withStore((dataSource) => new ServiceAccounts(dataSource).createToken(cliContext(), accountName, expiresAt));
      if (options.json) {
        printJson({ id: issued.id, account: accountName, token: issued.token, expiresAt: expiresAt ?? null });
        return;
      }
      process.stdout.write(`Token ${issued.id} for "${accountName}" (shown only now):\n\n  ${issued.token}\n\n`);
      if (expiresAt) process.stdout.write(`It expires at ${expiresAt}.\n`);
    });

  token.command('revoke <token-id>')
    .description('revoke a token at once (the id is the 16 hex digits after scimd_)')
    .option('--json', 'print the revoked token as JSON')
    .action(async (tokenId: string, options: { json?: boolean }) => {
      const revoked = await withStore((dataSource) => new ServiceAccounts(dataSource).revokeToken(cliContext(), tokenId));
      if (options.json) printJson(revoked);
      else process.stdout.write(`Token ${revoked.id} revoked at ${revoked.revokedAt ?? ''}\n`);
    });
}

function expiryFrom(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw invalidError(`--expires-in: "${text}" is not a duration like 90d, 12h, 30m, 2w or 1y`);
  return new Date(Date.now() + ms).toISOString();
}

/** One row per token, so the id to revoke is right there; an account without tokens still gets a row. */
function tokenRows(account: ServiceAccountView): Record<string, string>[] {
  const now = new Date().toISOString();
  const base = { account: account.name, id: account.id, roles: account.roles.join(', ') };
  if (account.tokens.length === 0) return [{ ...base, token: '(none)', status: '', expires: '', lastUsed: '' }];
  return account.tokens.map((token) => ({
    ...base,
    token: token.id,
    status: token.revokedAt !== null ? 'revoked' : token.expiresAt !== null && token.expiresAt <= now ? 'expired' : 'active',
    expires: token.expiresAt ?? 'never',
    lastUsed: token.lastUsedAt ?? 'never',
  }));
}
