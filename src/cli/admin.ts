import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config';
import { RoleDirectory } from '../identity/roles';
import { openStore, describeDatabase } from '../runtime';
import { note, printJson, printTable } from './output';
import { withStore } from './store';

/** `scimd migrate`, `scimd roles list`, `scimd healthcheck`. */
export function registerAdminCommands(program: Command): void {
  program.command('migrate')
    .description('apply pending database migrations (also done at start unless MIGRATE_ON_START=false)')
    .action(async () => {
      const config = loadConfig();
      // Like the server's first start, `migrate` may create the default database's folder.
      const dataSource = await openStore(config, { migrate: false, createDefaultFolder: true });
      try {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        note(applied.length === 0
          ? `${describeDatabase(config.database)}: already up to date`
          : `${describeDatabase(config.database)}: applied ${applied.map((m) => m.name).join(', ')}`);
      } finally {
        await dataSource.destroy();
      }
    });

  program.command('roles')
    .description('roles (SCIM Groups)')
    .command('list')
    .description('list every role with its kind, who may hold it, risk and permissions')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const roles = await withStore((dataSource) => new RoleDirectory(dataSource).list({ offset: 0, limit: 100_000, sortBy: 'displayName' }));
      if (options.json) {
        printJson(roles.items);
        return;
      }
      printTable(roles.items.map((role) => ({
        name: role.displayName, kind: role.kind, holders: role.assignableTo, risk: role.risk,
        permissions: role.permissions.join(' ') || '(none)',
      })), ['name', 'kind', 'holders', 'risk', 'permissions']);
    });

  program.command('healthcheck')
    .description('ask the running server (HOST:PORT, or --url) whether it is ready; exit 0 when it is')
    .option('--url <url>', 'base URL of the server, default http://HOST:PORT')
    .option('--timeout <ms>', 'give up after this many milliseconds', milliseconds, 3000)
    .action(async (options: { url?: string; timeout: number }) => {
      const config = loadConfig();
      const base = (options.url ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`).replace(/\/+$/, '');
      try {
        const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(options.timeout) });
        const body = await response.text();
        process.stdout.write(`${body}\n`);
        if (!response.ok) process.exitCode = 1;
      } catch (error) {
        note(`scimd healthcheck: ${base}/readyz did not answer (${(error as Error).message})`);
        process.exitCode = 1;
      }
    });
}

/** A commander option parser: whole milliseconds from 1 to 600000 (10 minutes). */
export function milliseconds(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 600_000) {
    throw new InvalidArgumentError('Not a whole number of milliseconds from 1 to 600000.');
  }
  return Number(text);
}
