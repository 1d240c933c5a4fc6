import type { Command } from 'commander';
import { runSync } from '../../sync/run';
import { loadConfig } from '../config';
import { invalidError } from '../errors';
import { createLogger } from '../logger';
import { openStore } from '../runtime';
import { note, printJson } from './output';
import { cliContext } from './store';
import { syncCommand } from './sync-command';

/** `scimd sync run`: one run now, as the Batch sync identity; exit 1 when it failed, 2 when blocked. */
export function registerSyncRunCommand(program: Command): void {
  syncCommand(program).command('run')
    .description('run the Active Directory sync once, now (delta when a watermark exists, else full)')
    .option('--full', 'read everything in scope')
    .option('--delta', 'read only what changed since the last successful run')
    .option('--dry-run', 'plan and report, change nothing')
    .option('--allow-deletes', 'let this run through the accidental-delete threshold')
    .option('--json', 'print the finished run as JSON')
    .action(async (options: { full?: boolean; delta?: boolean; dryRun?: boolean; allowDeletes?: boolean; json?: boolean }) => {
      if (options.full && options.delta) throw invalidError('Choose --full or --delta, not both');
      const config = loadConfig();
      if (!config.sync) throw invalidError('The Active Directory sync is not configured: set LDAP_URL and the LDAP_*/SYNC_* variables (docs/ad-sync.md)');
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2);
      const dataSource = await openStore(config, { migrate: config.migrateOnStart });
      const started = Date.now();
      const tty = process.stderr.isTTY === true && !options.json;
      const show = (stage: string) => {
        const line = `sync: ${stage} (${((Date.now() - started) / 1000).toFixed(1)} s)`;
        if (tty) process.stderr.write(`\r\u001b[2K${line}`);
        else note(line);
      };
      try {
        const run = await runSync({ dataSource, config: config.sync, logger }, {
          trigger: 'cli',
          ...(options.full ? { mode: 'full' as const } : options.delta ? { mode: 'delta' as const } : {}),
          dryRun: options.dryRun === true,
          allowDeletes: options.allowDeletes === true,
          onProgress: show,
          requestedBy: cliContext(),
        });
        if (tty) process.stderr.write('\n');
        if (options.json) {
          printJson(run);
        } else {
          const c = run.counters;
          process.stdout.write(`Run ${run.id}: ${run.status}${run.dryRun ? ' (dry run)' : ''}, ${run.mode}`
            + `${run.modeReason ? ` (${run.modeReason})` : ''}, ${run.durationMs ?? 0} ms\n`
            + `  read ${c.read}  created ${c.created}  updated ${c.updated}  deactivated ${c.deactivated}  deleted ${c.deleted}`
            + `  reactivated ${c.reactivated}  unchanged ${c.unchanged}  skipped ${c.skipped}  errors ${c.errors}`
            + `  role members +${c.memberAdds} -${c.memberRemoves}\n`
            + `${run.message ? `  ${run.message}\n` : ''}`
            + `  details: scimd sync report ${run.id}\n`);
        }
        if (run.status === 'failed') process.exitCode = 1;
        if (run.status === 'blocked') process.exitCode = 2;
      } finally {
        await dataSource.destroy();
      }
    });
}
