import { InvalidArgumentError, Option, type Command } from 'commander';
import { PersonalTokens } from '../auth/personal-tokens';
import { ServiceAccounts, type ServiceAccountView } from '../auth/service-accounts';
import { parseDuration } from '../auth/tokens';
import { invalidError } from '../errors';
import { note, printJson, printTable } from './output';
import { cliContext, withStore } from './store';

/** `scimd service-account …` and `scimd token …` (service accounts' tokens and persons' personal access tokens). */
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

  const token = program.command('token').description('issue, list and revoke API tokens (service accounts\' and persons\')');

  token.command('create [account]')
    .description('issue another token for a service account (by name or id), or a personal access token for a '
      + 'person (--user); printed once')
    .option('--user <userName>', 'issue a personal access token (scimd_p_…) for this user, who must be active and hold '
      + 'a role that grants a permission')
    .addOption(new Option('--expires <days>', 'token lifetime in whole days (default: no expiry)').argParser(parseDays)
      .conflicts('expiresIn'))
    .option('--expires-in <duration>', 'token lifetime, e.g. 90d, 12h, 1y (default: no expiry)')
    .option('--json', 'print {"id","account","token","expiresAt"} as JSON; with --user {"id","user","token"}')
    .action(async (accountName: string | undefined, options: TokenCreateOptions, command: Command) => {
      if (accountName !== undefined && options.user !== undefined) {
        command.error(`error: name a service account (${accountName}) or a person (--user ${options.user}), not both`);
      }
      const expiresAt = options.expires !== undefined ? new Date(Date.now() + options.expires * DAY_MS).toISOString()
        : expiryFrom(options.expiresIn);
      if (options.user !== undefined) {
        await createPersonalToken(options.user, expiresAt, options.json === true);
        return;
      }
      if (accountName === undefined) {
        command.error('error: missing the service account (scimd token create <account>) or the person (--user <userName>)');
      }
      const issued = await withStore((dataSource) => new ServiceAccounts(dataSource).createToken(cliContext(), accountName, expiresAt));
      if (options.json) {
        printJson({ id: issued.id, account: accountName, token: issued.token, expiresAt: expiresAt ?? null });
        return;
      }
      process.stdout.write(`Token ${issued.id} for "${accountName}" (shown only now):\n\n  ${issued.token}\n\n`);
      if (expiresAt) process.stdout.write(`It expires at ${expiresAt}.\n`);
    });

  token.command('list')
    .description('list a person\'s personal access tokens (never the secrets); service tokens: scimd service-account list')
    .requiredOption('--user <userName>', 'the user (by userName or id)')
    .option('--json', 'print JSON')
    .action(async (options: { user: string; json?: boolean }) => {
      const tokens = await withStore((dataSource) => new PersonalTokens(dataSource).list(options.user));
      if (options.json) {
        printJson(tokens);
        return;
      }
      if (tokens.length === 0) note(`No personal access tokens for "${options.user}". Issue one with: scimd token create --user ${options.user}`);
      const now = new Date().toISOString();
      printTable(tokens.map((listed) => ({
        user: listed.userName,
        token: listed.id,
        status: statusOf(listed, now),
        created: listed.createdAt,
        expires: listed.expiresAt ?? 'never',
        lastUsed: listed.lastUsedAt ?? 'never',
      })), ['user', 'token', 'status', 'created', 'expires', 'lastUsed']);
    });

  token.command('revoke <token-id>')
    .description('revoke a token of either kind at once (the id is the 16 hex digits after scimd_ or scimd_p_)')
    .option('--json', 'print the revoked token as JSON')
    .action(async (tokenId: string, options: { json?: boolean }) => {
      const revoked = await withStore(async (dataSource) => {
        const persons = new PersonalTokens(dataSource);
        return await persons.find(tokenId) !== undefined
          ? persons.revoke(cliContext(), tokenId)
          : new ServiceAccounts(dataSource).revokeToken(cliContext(), tokenId);
      });
      if (options.json) printJson(revoked);
      else process.stdout.write(`Token ${revoked.id} revoked at ${revoked.revokedAt ?? ''}\n`);
    });
}

interface TokenCreateOptions {
  readonly user?: string;
  readonly expires?: number;
  readonly expiresIn?: string;
  readonly json?: boolean;
}

const DAY_MS = 86_400_000;

async function createPersonalToken(userName: string, expiresAt: string | undefined, json: boolean): Promise<void> {
  const issued = await withStore((dataSource) => new PersonalTokens(dataSource).create(cliContext(), {
    userName, ...(expiresAt ? { expiresAt } : {}),
  }));
  if (json) {
    printJson({ id: issued.id, user: issued.userName, token: issued.token });
    return;
  }
  process.stdout.write(`Personal access token ${issued.id} for "${issued.userName}" (shown only now; give it to them `
    + `privately):\n\n  ${issued.token}\n\n`);
  if (issued.expiresAt) process.stdout.write(`It expires at ${issued.expiresAt}.\n`);
}

/** `--expires DAYS`: a whole number of days, 1 to 3650. */
function parseDays(text: string): number {
  const days = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(days >= 1 && days <= 3650)) throw new InvalidArgumentError('Not a whole number of days from 1 to 3650.');
  return days;
}

function statusOf(token: { revokedAt: string | null; expiresAt: string | null }, now: string): string {
  return token.revokedAt !== null ? 'revoked' : token.expiresAt !== null && token.expiresAt <= now ? 'expired' : 'active';
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
    status: statusOf(token, now),
    expires: token.expiresAt ?? 'never',
    lastUsed: token.lastUsedAt ?? 'never',
  }));
}
