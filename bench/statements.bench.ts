import type { BeforeQueryEvent, EntitySubscriberInterface } from 'typeorm';
import { ServiceAccounts } from '../src/auth/service-accounts';
import type { Config } from '../src/config';
import { settleAuditSeals } from '../src/governance/audit-seal';
import { localOperatorContext } from '../src/identity/change-context';
import { createLogger } from '../src/logger';
import { startServer } from '../src/server';
import { PATCH_OP, USER_SCHEMA } from './names';
import { DEFAULT_DATABASE_URL } from './options';
import { resetDatabase } from './seed';

/**
 * `node_modules/.bin/tsx bench/statements.bench.ts`: the SQL statements each benchmarked SCIM
 * request sends, counted on a warm server (the request is sent once unmeasured, then once counted;
 * a principal already remembered by the cache costs no authentication statement, which is the
 * steady state under load). Prints each scenario's count and, with --sql, the statements themselves;
 * --no-cache turns the principal cache off. The database of BENCH_DATABASE_URL with `_statements`
 * appended is dropped and recreated.
 */
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
class StatementLog implements EntitySubscriberInterface {
  readonly statements: string[] = [];
  beforeQuery(event: BeforeQueryEvent): void {
    this.statements.push(event.query.replace(/\s+/g, ' ').slice(0, 160));
  }
}

interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: (step: number) => unknown;
}

async function main(): Promise<void> {
  const showSql = process.argv.includes('--sql');
  const url = `${(process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL).replace(/^mariadb:/, 'mysql:')}_statements`;
  await resetDatabase(url);
  const config: Config = {
    host: '127.0.0.1', port: 0, publicUrl: undefined, database: { kind: 'mariadb', url },
    migrateOnStart: false, logLevel: 'silent', maxBodyBytes: 1024 * 1024, shutdownTimeoutMs: 5_000,
    governance: { approvalMode: 'high-risk', approvalExpiryDays: 7 },
    // --no-cache: every request authenticates against the database, as before the principal cache.
    ...(process.argv.includes('--no-cache') ? { principalCacheMs: 0 } : {}),
  };
  const server = await startServer(config, createLogger('silent'));
  try {
    const { token } = await new ServiceAccounts(server.dataSource).create(
      localOperatorContext('bench'), { name: 'bench', roleNames: ['SCIM Provisioning'] },
    );
    const send = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`${server.url}/scim/v2${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      const text = await response.text();
      return text ? JSON.parse(text) as Record<string, unknown> : {};
    };
    const userIds: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      const user = await send('POST', '/Users', {
        schemas: [USER_SCHEMA], userName: `statements-${index}@example.com`,
        emails: [{ type: 'work', value: `statements-${index}@example.com`, primary: true }],
      });
      userIds.push(user.id as string);
    }
    const group = await send('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Statements', members: [{ value: userIds[0] }] });
    const firstPage = await send('GET', '/Users?count=5&cursor=');
    const cursor = encodeURIComponent(String(firstPage.nextCursor));
    const calls: Record<string, Call> = {
      'GET /Users/{id}': { method: 'GET', path: `/Users/${userIds[0]}` },
      'GET /Users?filter=userName eq': { method: 'GET', path: `/Users?filter=${encodeURIComponent('userName eq "statements-3@example.com"')}` },
      'GET /Users?count=5&cursor=(page 2)': { method: 'GET', path: `/Users?count=5&cursor=${cursor}` },
      'POST /Users': {
        method: 'POST', path: '/Users',
        body: (step) => ({ schemas: [USER_SCHEMA], userName: `created-${step}@example.com`, emails: [{ type: 'work', value: `created-${step}@example.com` }] }),
      },
      'PATCH /Users/{id} replace title': {
        method: 'PATCH', path: `/Users/${userIds[1]}`,
        body: (step) => ({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: `Title ${step}` }] }),
      },
      'PATCH /Groups/{id} add member': {
        method: 'PATCH', path: `/Groups/${String(group.id)}`,
        body: (step) => ({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userIds[step + 2] }] }] }),
      },
    };
    const log = new StatementLog();
    const counted = async (work: () => Promise<unknown>): Promise<string[]> => {
      server.dataSource.subscribers.push(log);
      log.statements.length = 0;
      try {
        await work();
      } finally {
        server.dataSource.subscribers.splice(server.dataSource.subscribers.indexOf(log), 1);
      }
      return [...log.statements];
    };
    for (const [name, call] of Object.entries(calls)) {
      await send(call.method, call.path, call.body?.(0));
      // The warm-up's audit seal runs a moment after it (src/governance/audit-seal.ts): not in the count.
      await settleAuditSeals(server.dataSource);
      const request = await counted(() => send(call.method, call.path, call.body?.(1)));
      // The request's own seal, counted apart: under load the writes committed together share one.
      const seal = await counted(() => settleAuditSeals(server.dataSource));
      process.stdout.write(`${name}: ${request.length} statements${seal.length > 0 ? ` + ${seal.length} for the audit seal (shared by the writes it seals)` : ''}\n`);
      if (showSql) for (const statement of [...request, ...seal]) process.stdout.write(`    ${statement}\n`);
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
