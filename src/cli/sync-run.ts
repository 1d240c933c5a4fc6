import { Option, type Command } from 'commander';
import { runSync, SyncBusyError } from '../../sync/run';
import { loadConfig, type LogLevel } from '../config';
import { conflictError, invalidError } from '../errors';
import type { SyncRunView } from '../governance/sync-runs';
import { createLogger, type Logger } from '../logger';
import { closeStore, openStore } from '../runtime';
import { note, printJson } from './output';
import { cliContext } from './store';
import { syncCommand } from './sync-command';
import { syncProgressView } from './sync-progress';

/**
 * `scimd sync run`: one run now, as the Batch sync identity. Exit 1 when it failed (one line on stderr
 * says why), 2 when the delete threshold blocked it.
 */
export function registerSyncRunCommand(program: Command): void {
  syncCommand(program).command('run')
    .description('run the Active Directory sync once, now (delta when a watermark exists, else full)')
    .addOption(new Option('--full', 'read everything in scope').conflicts('delta'))
    .option('--delta', 'read only what changed since the last successful run')
    .option('--dry-run', 'plan and report, change nothing')
    .option('--allow-deletes', 'let this run through the accidental-delete threshold')
    .option('--json', 'print the finished run as JSON')
    .action(async (options: { full?: boolean; delta?: boolean; dryRun?: boolean; allowDeletes?: boolean; json?: boolean }) => {
      const config = loadConfig();
      if (!config.sync) throw invalidError('The Active Directory sync is not configured: set LDAP_URL and the LDAP_*/SYNC_* variables (docs/ad-sync.md)');
      const dataSource = await openStore(config, { migrate: config.migrateOnStart, createDefaultFolder: false });
      const progress = syncProgressView(process.stderr.isTTY === true && !options.json);
      try {
        const run = await runSync({ dataSource, config: config.sync, logger: runLogger(config.logLevel) }, {
          trigger: 'cli',
          ...(options.full ? { mode: 'full' as const } : options.delta ? { mode: 'delta' as const } : {}),
          dryRun: options.dryRun === true,
          allowDeletes: options.allowDeletes === true,
          onProgress: (stage) => progress.stage(stage),
          onCounts: (counts) => progress.counts(counts),
          requestedBy: cliContext(),
        }).catch((error: unknown) => {
          if (error instanceof SyncBusyError) throw conflictError(error.message);
          throw error;
        }).finally(() => {
          // The progress bar has done its job; the result (or the error) replaces it.
          progress.stop();
        });
        if (options.json) printJson(run);
        if (run.status === 'failed') {
          // One line: the run recorded its reason; the logged error, with its stack, is shown at LOG_LEVEL=debug.
          note(`scimd: sync run ${run.id} failed: ${(run.message ?? 'no reason recorded').replace(/^failed: /, '')}`);
          process.exitCode = 1;
          return;
        }
        if (!options.json) printSummary(run);
        if (run.status === 'blocked') process.exitCode = 2;
      } finally {
        await closeStore(dataSource);
      }
    });
}

/**
 * The run's logger: JSON lines on stderr, warnings and worse unless LOG_LEVEL asks for more. The
 * error a failing run logs (with its stack) is a detail of the one line printed from the run's
 * record, so here it is written at debug level.
 */
function runLogger(level: LogLevel): Logger {
  const logger = createLogger(level === 'info' ? 'warn' : level, 2).child({});
  logger.error = logger.debug;
  return logger;
}

function printSummary(run: SyncRunView): void {
  const c = run.counters;
  process.stdout.write(`Run ${run.id}: ${run.status}${run.dryRun ? ' (dry run)' : ''}, ${run.mode}`
    + `${run.modeReason ? ` (${run.modeReason})` : ''}, ${run.durationMs ?? 0} ms\n`
    + `  read ${c.read}  created ${c.created}  updated ${c.updated}  deactivated ${c.deactivated}  deleted ${c.deleted}`
    + `  reactivated ${c.reactivated}  unchanged ${c.unchanged}  skipped ${c.skipped}  errors ${c.errors}`
    + `  role members +${c.memberAdds} -${c.memberRemoves}\n`
    + `${run.message ? `  ${run.message}\n` : ''}`
    + `  details: scimd sync report ${run.id}\n`);
}
