import type { Command } from 'commander';
import { invalidError } from '../errors';
import { AuditLog, parseAuditTime, verifyAuditChain, type AuditEventView, type AuditFilter } from '../governance/audit-log';
import { note, printJson, printTable } from './output';
import { withStore } from './store';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100_000;

/**
 * `scimd audit verify`: walks the audit log's hash chain; exit 0 with the count and the head hash
 * (record it elsewhere: a later verify proves the log up to it unchanged), exit 1 with the first
 * broken link. `scimd audit list`: recent events, newest first.
 */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log: verify its hash chain, list events');

  audit.command('verify')
    .description('check every audit event against the hash chain; exit 1 at the first broken link')
    .option('--json', 'print {ok, count, headSeq, headHash} or {ok, count, broken: {problem, seq, id, message}} as JSON')
    .action(async (options: { json?: boolean }) => {
      const result = await withStore((dataSource) => verifyAuditChain(dataSource));
      if (options.json) printJson(result);
      if (result.ok) {
        if (!options.json) {
          process.stdout.write(`Audit chain intact: ${result.count} event${result.count === 1 ? '' : 's'}, `
            + `head seq ${result.headSeq}, head hash ${result.headHash ?? '(none: the log is empty)'}\n`);
        }
        return;
      }
      if (!options.json) {
        process.stdout.write(`Audit chain BROKEN at seq ${result.broken.seq}${result.broken.id === null ? '' : ` (id ${result.broken.id})`}: `
          + `${result.broken.problem}\n${result.broken.message}\n${result.count} event(s) before it verified intact.\n`);
      }
      note(`scimd: the audit chain is broken at seq ${result.broken.seq} (${result.broken.problem})`);
      process.exitCode = 1;
    });

  audit.command('list')
    .description('audit events, newest first')
    .option('--actor <id-or-name>', 'only events by this actor (its id or name, exactly)')
    .option('--action <action>', 'only this action (user.create), or a prefix (role. or role.*)')
    .option('--since <time>', 'only events at or after this ISO 8601 time (2026-01-31 or 2026-01-31T12:00:00Z)')
    .option('--limit <n>', `at most this many events (1-${MAX_LIMIT})`, String(DEFAULT_LIMIT))
    .option('--json', 'print the events as a JSON array')
    .action(async (options: { actor?: string; action?: string; since?: string; limit: string; json?: boolean }) => {
      const limit = wholeNumber('--limit', options.limit, 1, MAX_LIMIT);
      const filter: AuditFilter = {
        ...(options.actor === undefined ? {} : { actor: options.actor }),
        ...(options.action === undefined ? {} : { action: options.action }),
        ...(options.since === undefined ? {} : { from: parseAuditTime('--since', options.since) }),
      };
      const events = await withStore(async (dataSource) => {
        const found: AuditEventView[] = [];
        for await (const event of new AuditLog(dataSource).walk(filter, { limit })) found.push(event);
        return found;
      });
      if (options.json) {
        printJson(events);
        return;
      }
      if (events.length === 0) {
        process.stdout.write('No audit events.\n');
        return;
      }
      printTable(events.map((event) => ({
        seq: String(event.seq), time: event.occurredAt, actor: `${event.actor.name} (${event.actor.type})`, door: event.door,
        action: event.action, target: `${event.target.type} ${event.target.name ?? event.target.id}`,
      })), ['seq', 'time', 'actor', 'door', 'action', 'target']);
    });
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw invalidError(`${option}: expected a whole number from ${min} to ${max}, not "${text}"`);
  }
  return Number(text);
}
