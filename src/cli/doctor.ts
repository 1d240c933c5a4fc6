import type { Command } from 'commander';
import { loadConfig, type Config } from '../config';
import { diagnoseOidc } from '../console/oidc-diagnose';
import { diagnoseDatabase } from '../db/diagnose';
import { fail, ok, skip, type CheckResult } from '../diagnosis';
import { ConfigError } from '../errors';
import { diagnoseMail } from '../governance/mail-diagnose';
import { diagnoseDirectory } from '../../sync/ldap/diagnose';
import { diagnoseMapping } from '../../sync/mapping-diagnose';
import { milliseconds } from './admin';
import { doctorExitCode, formatJson, formatReport } from './doctor-report';

const DEFAULT_DEADLINE_MS = 10_000;
/**
 * After the report, a client a deadline gave up on may still hold a socket until its own timeout;
 * the doctor does not wait for it. A moment is left for stdout to drain to a pipe first.
 */
const EXIT_GRACE_MS = 1_000;

/** `scimd doctor [--json] [--timeout MS]`. */
export function registerDoctorCommand(program: Command): void {
  program.command('doctor')
    .description('check the configuration the server would use: the database, the directory, the mapping file, SMTP and '
      + 'OIDC; print a fix for each failure, exit 1 when a check failed')
    .option('--json', 'print JSON')
    .option('--timeout <ms>', 'deadline of each network step, in milliseconds', milliseconds, DEFAULT_DEADLINE_MS)
    .action(async (options: { json?: boolean; timeout: number }) => {
      const results = await diagnose(options.timeout);
      process.stdout.write(options.json ? formatJson(results) : formatReport(results));
      process.exitCode = doctorExitCode(results);
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    });
}

/** Every check, in report order; the areas run side by side, so a slow one does not hold up the others. */
async function diagnose(deadlineMs: number): Promise<CheckResult[]> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [fail('config', error.message, 'correct each variable named (README.md, Configuration); no other check runs until the configuration is valid')];
  }
  const areas = await Promise.all([
    diagnoseDatabase(config.database, deadlineMs),
    directoryAndMapping(config, deadlineMs),
    config.mail ? diagnoseMail(config.mail, deadlineMs).then((result) => [result]) : [skip('smtp.verify', 'SMTP_URL is not set: notices stay queued')],
    config.console?.oidc
      ? diagnoseOidc(config.console.oidc, deadlineMs).then((result) => [result])
      : [skip('oidc.discovery', 'OIDC_ISSUER is not set: the console signs in with personal access tokens only')],
  ]);
  return [ok('config', 'the environment (and .env) is a valid configuration'), ...areas.flat()];
}

async function directoryAndMapping(config: Config, deadlineMs: number): Promise<CheckResult[]> {
  if (!config.sync) return [skip('directory', 'LDAP_URL is not set: Active Directory sync is off')];
  const directory = await diagnoseDirectory(config.sync, deadlineMs);
  try {
    return [...directory.results, ...await diagnoseMapping(config.sync, directory.session, deadlineMs)];
  } finally {
    await directory.session?.close();
  }
}
