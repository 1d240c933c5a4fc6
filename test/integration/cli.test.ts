import { expect } from 'chai';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MAX_PRINCIPAL_CACHE_MS } from '../../src/config';
import { openDataSource } from '../../src/db/data-source';
import { eventually } from '../support/eventually';
import { explain, freePort, runScimd, startServe, useSpawnedProcesses, type RunResult, type ServeProcess } from '../support/processes';

/**
 * The `scimd` command line as an operator uses it: real child processes (bin/scimd.js) on real
 * database files, checked from the outside (exit code, stdout, stderr, database rows, HTTP).
 */

const TOKEN_PATTERN = /^scimd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;
const TOKEN_IN_TEXT = /scimd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface CreatedAccount {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
  readonly token: string;
}

interface IssuedToken {
  readonly id: string;
  readonly account: string;
  readonly token: string;
  readonly expiresAt: string | null;
}

interface ListedAccount {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
  readonly tokens: { id: string; expiresAt: string | null; revokedAt: string | null }[];
}

let tmp: string;

function sqliteFile(name: string): string {
  return path.join(tmp, `${name}.sqlite`);
}

function sqliteEnv(file: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: `sqlite:${file}`, ...extra };
}

/** Runs scimd and shows its output when an expectation on it fails. */
function parseJson<T>(result: RunResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${explain(result)}`);
  }
}

function tokenId(token: string): string {
  return token.slice('scimd_'.length, 'scimd_'.length + 16);
}

function tokenSecret(token: string): string {
  return token.slice('scimd_'.length + 17);
}

/** Reads an SQLite database file the CLI wrote (read-only, from the test process). */
function withSqlite<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function countRows(file: string, table: string): number {
  return withSqlite(file, (db) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
}

function counts(file: string): Record<string, number> {
  return Object.fromEntries(['service_accounts', 'service_account_roles', 'api_tokens', 'audit_events']
    .map((table) => [table, countRows(file, table)]));
}

async function createAccount(env: Record<string, string>, name: string, role = 'SCIM Provisioning'): Promise<CreatedAccount> {
  const result = await runScimd(['service-account', 'create', name, '--role', role, '--json'], { env });
  expect(result.code, explain(result)).to.equal(0);
  return parseJson<CreatedAccount>(result);
}

async function getUsers(server: ServeProcess, token: string): Promise<number> {
  const response = await fetch(`${server.baseUrl}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token}` } });
  await response.text();
  return response.status;
}

describe('scimd CLI (spawned processes)', function () {
  this.timeout(90_000);

  // Each test stops what it started; whatever a failing test left running is killed after it.
  useSpawnedProcesses('scimd-cli-', (dir) => {
    tmp = dir;
  });

  describe('service-account create', () => {
    let file: string;
    let created: CreatedAccount;

    before(() => {
      file = sqliteFile('create');
    });

    it('--json prints only {id, name, roles, token} on stdout and exits 0', async () => {
      const result = await runScimd(['service-account', 'create', 'okta', '--role', 'SCIM Provisioning', '--json'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      const parsed = parseJson<Record<string, unknown>>(result);
      expect(parsed, 'a JSON object').to.be.an('object').and.not.be.an('array');
      expect(Object.keys(parsed).sort()).to.deep.equal(['id', 'name', 'roles', 'token']);
      created = parsed as unknown as CreatedAccount;
      expect(created.id).to.match(UUID_PATTERN);
      expect(created.name).to.equal('okta');
      expect(created.roles).to.deep.equal(['SCIM Provisioning']);
      expect(created.token).to.be.a('string').and.match(TOKEN_PATTERN);
    });

    it('the printed token authenticates against `serve` on the same database', async () => {
      expect(created, 'the --json test ran first').to.not.equal(undefined);
      const server = await startServe({ env: sqliteEnv(file) });
      try {
        expect(await getUsers(server, created.token)).to.equal(200);
        expect(await getUsers(server, `${created.token.slice(0, -1)}${created.token.endsWith('A') ? 'B' : 'A'}`),
          'a token with a wrong secret').to.equal(401);
      } finally {
        const exit = await server.stop();
        expect(exit.code, server.describe()).to.equal(0);
      }
    });

    it('stores neither the token nor its secret in clear (in any table)', () => {
      const secret = tokenSecret(created.token);
      const found = withSqlite(file, (db) => {
        const hits: string[] = [];
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
        expect(tables.map((t) => t.name)).to.include('api_tokens');
        for (const { name } of tables) {
          for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
            for (const [column, value] of Object.entries(row)) {
              const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
              if (text.includes(secret) || text.includes(created.token)) hits.push(`${name}.${column}`);
            }
          }
        }
        return hits;
      });
      expect(found, 'columns holding the token or its secret').to.deep.equal([]);
      const row = withSqlite(file, (db) => db.prepare('SELECT * FROM api_tokens WHERE id = ?').get(tokenId(created.token)) as Record<string, unknown> | undefined);
      expect(row, 'the api_tokens row of the issued token').to.not.equal(undefined);
    });

    it('is audited: audit_events has a cli row for service-account.create', () => {
      const rows = withSqlite(file, (db) => db.prepare(
        "SELECT * FROM audit_events WHERE action = 'service-account.create' AND target_id = ?",
      ).all(created.id) as Record<string, unknown>[]);
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ door: 'cli', actor_type: 'cli', target_name: 'okta' });
      expect(String(rows[0]?.actor_name)).to.match(/^cli:/);
    });

    it('without --json prints the token once, in human text', async () => {
      const result = await runScimd(['service-account', 'create', 'okta-human', '--role', 'SCIM Provisioning'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      const tokens = result.stdout.match(TOKEN_IN_TEXT) ?? [];
      expect(tokens, explain(result)).to.have.length(1);
      expect(result.stderr).to.not.match(TOKEN_IN_TEXT);
      expect(result.stdout).to.include('okta-human').and.include('SCIM Provisioning');
      expect(() => JSON.parse(result.stdout), 'human text, not JSON').to.throw();
    });
  });

  describe('service-account create: refusals write nothing', () => {
    let file: string;
    let baseline: Record<string, number>;

    before(async () => {
      file = sqliteFile('refusals');
      await createAccount(sqliteEnv(file), 'existing');
    });

    beforeEach(() => {
      baseline = counts(file);
    });

    it('an unknown role: exit 3 (not found), stderr names the role and hints `roles list`', async () => {
      const result = await runScimd(['service-account', 'create', 'newbie', '--role', 'Provisioning Robot', '--json'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(3);
      expect(result.stdout, 'nothing on stdout').to.equal('');
      expect(result.stderr.toLowerCase()).to.include('provisioning robot');
      expect(result.stderr).to.include('roles list');
      expect(counts(file), 'row counts after the refusal').to.deep.equal(baseline);
    });

    it('an unknown role is named as the operator typed it (not lower-cased)', async () => {
      const result = await runScimd(['service-account', 'create', 'newbie', '--role', 'Provisioning Robot'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr, explain(result)).to.include('"Provisioning Robot"');
    });

    it('a role only persons may hold (Auditor): non-zero exit and a clear message', async () => {
      const result = await runScimd(['service-account', 'create', 'newbie', '--role', 'Auditor'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr).to.include('Auditor');
      expect(result.stderr).to.match(/person/i);
      expect(result.stderr).to.match(/service account/i);
      expect(counts(file), 'row counts after the refusal').to.deep.equal(baseline);
    });

    it('a valid role together with a person-only role writes nothing either', async () => {
      const result = await runScimd(['service-account', 'create', 'newbie', '--role', 'SCIM Provisioning', '--role', 'Auditor'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr).to.include('Auditor');
      expect(counts(file), 'row counts after the refusal').to.deep.equal(baseline);
    });

    it('a duplicate name (also in another case): non-zero exit and a clear message', async () => {
      for (const name of ['existing', 'EXISTING']) {
        const result = await runScimd(['service-account', 'create', name, '--role', 'SCIM Provisioning', '--json'], { env: sqliteEnv(file) });
        expect(result.code, explain(result)).to.not.equal(0);
        expect(result.stdout).to.equal('');
        expect(result.stderr).to.include(`"${name}"`);
        expect(result.stderr).to.match(/already exists/);
        expect(counts(file), 'row counts after the refusal').to.deep.equal(baseline);
      }
    });

    it('a malformed --expires-in: non-zero exit, names the option', async () => {
      const result = await runScimd(['service-account', 'create', 'newbie', '--role', 'SCIM Provisioning', '--expires-in', 'soon'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr).to.include('--expires-in').and.include('soon');
      expect(counts(file), 'row counts after the refusal').to.deep.equal(baseline);
    });
  });

  describe('service-account list', () => {
    let file: string;
    let first: CreatedAccount;
    let second: IssuedToken;

    before(async () => {
      file = sqliteFile('list');
      first = await createAccount(sqliteEnv(file), 'okta');
      const result = await runScimd(['token', 'create', 'okta', '--json'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      second = parseJson<IssuedToken>(result);
    });

    function expectNoSecrets(text: string): void {
      for (const token of [first.token, second.token]) {
        expect(text).to.not.include(tokenSecret(token));
        expect(text).to.not.include(createHash('sha256').update(tokenSecret(token)).digest('hex'));
      }
      expect(text).to.not.match(TOKEN_IN_TEXT);
    }

    it('--json shows the account, its roles and its token ids, never a secret', async () => {
      const result = await runScimd(['service-account', 'list', '--json'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      // The seeded Batch sync account (no token) is listed too; this test is about the one it created.
      const accounts = parseJson<ListedAccount[]>(result).filter((account) => account.name !== 'Batch sync');
      expect(accounts).to.be.an('array').with.length(1);
      const [account] = accounts;
      expect(account).to.include({ id: first.id, name: 'okta' });
      expect(account?.roles).to.deep.equal(['SCIM Provisioning']);
      expect(account?.tokens.map((t) => t.id).sort()).to.deep.equal([tokenId(first.token), second.id].sort());
      expectNoSecrets(result.stdout + result.stderr);
    });

    it('the text listing shows the account and its roles, never a secret', async () => {
      const result = await runScimd(['service-account', 'list'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      expect(result.stdout).to.include('okta').and.include(first.id).and.include('SCIM Provisioning');
      expectNoSecrets(result.stdout + result.stderr);
    });

    it('the text listing shows the token ids (docs/idp-entra-id.md: "shows token ids")', async () => {
      const result = await runScimd(['service-account', 'list'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      expect(result.stdout, explain(result)).to.include(tokenId(first.token)).and.include(second.id);
    });
  });

  describe('token create / revoke', () => {
    let file: string;
    let account: CreatedAccount;
    let server: ServeProcess;

    before(async () => {
      file = sqliteFile('tokens');
      account = await createAccount(sqliteEnv(file), 'okta');
      server = await startServe({ env: sqliteEnv(file) });
    });

    after(async () => {
      if (server?.running) await server.stop();
    });

    it('token create --expires-in 90d --json issues a working token that expires in ~90 days', async () => {
      const issuedAfter = Date.now();
      const result = await runScimd(['token', 'create', 'okta', '--expires-in', '90d', '--json'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      const issued = parseJson<IssuedToken>(result);
      expect(issued.token).to.match(TOKEN_PATTERN);
      expect(issued.id).to.equal(tokenId(issued.token));
      expect(issued.account).to.equal('okta');
      expect(issued.expiresAt).to.be.a('string');
      const ninetyDays = 90 * 86_400_000;
      const expires = Date.parse(issued.expiresAt ?? '');
      expect(expires).to.be.within(issuedAfter + ninetyDays - 5_000, Date.now() + ninetyDays + 5_000);
      expect(await getUsers(server, issued.token)).to.equal(200);
      expect(await getUsers(server, account.token), 'the first token still works').to.equal(200);
    });

    it('token create --expires-in soon: non-zero exit, clear message, no token written', async () => {
      const tokensBefore = countRows(file, 'api_tokens');
      const result = await runScimd(['token', 'create', 'okta', '--expires-in', 'soon'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr).to.include('--expires-in').and.include('soon');
      expect(result.stdout).to.not.match(TOKEN_IN_TEXT);
      expect(countRows(file, 'api_tokens')).to.equal(tokensBefore);
    });

    it('token create for an unknown account: exit 3 (not found), naming it', async () => {
      const result = await runScimd(['token', 'create', 'nobody'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(3);
      expect(result.stderr).to.include('nobody');
    });

    it('token revoke <id>: the running server then answers 401 for that token only, within the principal cache\'s 2 s', async () => {
      const extra = parseJson<IssuedToken>(await runScimd(['token', 'create', 'okta', '--json'], { env: sqliteEnv(file) }));
      expect(await getUsers(server, extra.token)).to.equal(200);
      const result = await runScimd(['token', 'revoke', extra.id], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(0);
      expect(result.stdout).to.include(extra.id);
      // The CLI is another process: the server learns of the revocation when its remembered
      // principal runs out (PRINCIPAL_CACHE_MS, at most 2 s; docs/operations.md, "Authentication cache").
      await eventually('the revoked token to be refused', MAX_PRINCIPAL_CACHE_MS, async () => {
        const status = await getUsers(server, extra.token);
        return status === 401 ? status : undefined;
      });
      expect(await getUsers(server, account.token), 'other tokens keep working').to.equal(200);
      const audit = withSqlite(file, (db) => db.prepare("SELECT door FROM audit_events WHERE action = 'token.revoke'").all() as { door: string }[]);
      expect(audit).to.deep.equal([{ door: 'cli' }]);
    });

    it('token revoke of an unknown id: exit 3 (not found), naming the id', async () => {
      const result = await runScimd(['token', 'revoke', '0123456789abcdef'], { env: sqliteEnv(file) });
      expect(result.code, explain(result)).to.equal(3);
      expect(result.stderr).to.include('0123456789abcdef');
    });
  });

  describe('roles list', () => {
    const SYSTEM_ROLES = ['Super Administrator', 'Batch sync', 'SCIM Provisioning', 'Read-only API Access', 'Full API Access', 'Auditor'];

    it('lists the system roles', async () => {
      const result = await runScimd(['roles', 'list'], { env: sqliteEnv(sqliteFile('roles')) });
      expect(result.code, explain(result)).to.equal(0);
      for (const role of SYSTEM_ROLES) expect(result.stdout, role).to.include(role);
    });

    it('--json prints parseable JSON with every system role', async () => {
      const result = await runScimd(['roles', 'list', '--json'], { env: sqliteEnv(sqliteFile('roles')) });
      expect(result.code, explain(result)).to.equal(0);
      const roles = parseJson<{ displayName: string; kind: string; assignableTo: string }[]>(result);
      expect(roles.map((role) => role.displayName)).to.include.members(SYSTEM_ROLES);
      expect(roles.find((role) => role.displayName === 'Auditor')).to.include({ kind: 'system', assignableTo: 'person' });
      expect(roles.find((role) => role.displayName === 'SCIM Provisioning')).to.include({ kind: 'system', assignableTo: 'service' });
    });
  });

  describe('migrate', () => {
    it('creates a fresh database, applies the migrations, then says up to date', async () => {
      // An explicit path's folder must exist (cli-errors.test.ts: scimd creates only the default ./data).
      const file = path.join(fs.mkdtempSync(path.join(tmp, 'migrate-')), 'fresh.sqlite');
      // As in docs/operations.md: `MIGRATE_ON_START=false npx scimd migrate`.
      const first = await runScimd(['migrate'], { env: sqliteEnv(file, { MIGRATE_ON_START: 'false' }) });
      expect(first.code, explain(first)).to.equal(0);
      expect(first.stdout + first.stderr, explain(first)).to.match(/applied/i);
      expect(fs.existsSync(file), 'the SQLite file').to.equal(true);
      expect(countRows(file, 'roles')).to.be.greaterThan(0);
      const second = await runScimd(['migrate'], { env: sqliteEnv(file) });
      expect(second.code, explain(second)).to.equal(0);
      expect(second.stdout + second.stderr, explain(second)).to.match(/up to date/i);
      expect(second.stdout + second.stderr).to.not.match(/applied/i);
    });
  });

  describe('MIGRATE_ON_START=false', () => {
    it('serve starts but is not ready until `scimd migrate` has run', async () => {
      const file = sqliteFile('no-migrate');
      const env = sqliteEnv(file, { MIGRATE_ON_START: 'false' });
      const server = await startServe({ env, waitFor: 'live' });
      try {
        for (let i = 0; i < 2; i++) {
          const response = await fetch(`${server.baseUrl}/readyz`);
          expect(response.status, server.describe()).to.equal(503);
          const body = await response.json() as { status: string; checks: Record<string, string> };
          expect(body.status).to.equal('not ready');
          expect(body.checks).to.include({ database: 'ok', migrations: 'pending' });
        }
        const health = await runScimd(['healthcheck'], { env: { PORT: String(server.port) } });
        expect(health.code, `healthcheck of a server that is not ready\n${explain(health)}`).to.not.equal(0);
        expect(server.running, server.describe()).to.equal(true);

        const migrate = await runScimd(['migrate'], { env });
        expect(migrate.code, explain(migrate)).to.equal(0);
        expect(migrate.stdout + migrate.stderr).to.match(/applied/i);
        await server.waitFor('/readyz', 10_000);
      } finally {
        const exit = await server.stop();
        expect(exit.code, server.describe()).to.equal(0);
      }
    });
  });

  describe('configuration validation', () => {
    it('reports every bad variable (PORT, DATABASE_URL, LOG_LEVEL) in one message, exit non-zero', async () => {
      const result = await runScimd(['serve'], { env: { PORT: 'abc', DATABASE_URL: 'postgres://x', LOG_LEVEL: 'loud' }, timeoutMs: 20_000 });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.code).to.not.equal(null);
      for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL']) expect(result.stderr, name).to.include(name);
      expect(result.stderr.match(/Invalid configuration/g) ?? [], 'one message').to.have.length(1);
      expect(result.stdout).to.equal('');
    });

    it('the same validation applies to other commands', async () => {
      const result = await runScimd(['roles', 'list'], { env: { PORT: 'abc', DATABASE_URL: 'postgres://x', LOG_LEVEL: 'loud' } });
      expect(result.code, explain(result)).to.not.equal(0);
      for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL']) expect(result.stderr, name).to.include(name);
    });

    it('DATABASE_URL_FILE naming a file with sqlite:<path> is used', async () => {
      const file = sqliteFile('from-file');
      const secretFile = path.join(tmp, 'database-url');
      fs.writeFileSync(secretFile, `sqlite:${file}\n`);
      const result = await runScimd(['service-account', 'create', 'via-file', '--role', 'SCIM Provisioning', '--json'], {
        env: { DATABASE_URL_FILE: secretFile },
      });
      expect(result.code, explain(result)).to.equal(0);
      expect(fs.existsSync(file), 'the database named in the file').to.equal(true);
      expect(countRows(file, 'service_accounts'), 'Batch sync and the new account').to.equal(2);
    });

    it('DATABASE_URL_FILE naming a missing file: non-zero exit, names the variable and the file', async () => {
      const missing = path.join(tmp, 'no-such-secret');
      const result = await runScimd(['migrate'], { env: { DATABASE_URL_FILE: missing } });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr).to.include('DATABASE_URL_FILE').and.include(missing);
    });

    it('DATABASE_URL and DATABASE_URL_FILE together: non-zero exit, says to set only one', async () => {
      const secretFile = path.join(tmp, 'database-url-both');
      fs.writeFileSync(secretFile, `sqlite:${sqliteFile('both')}\n`);
      const result = await runScimd(['migrate'], { env: { DATABASE_URL: `sqlite:${sqliteFile('both')}`, DATABASE_URL_FILE: secretFile } });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.stderr).to.include('DATABASE_URL_FILE');
    });
  });

  describe('healthcheck', () => {
    it('exits 0 and prints the ready JSON for a running server', async () => {
      const server = await startServe({ env: sqliteEnv(sqliteFile('health')) });
      try {
        for (const args of [['healthcheck'], ['healthcheck', '--url', `${server.baseUrl}/`]]) {
          const result = await runScimd(args, { env: { HOST: '127.0.0.1', PORT: String(server.port) } });
          expect(result.code, explain(result)).to.equal(0);
          const body = parseJson<{ status: string; checks: Record<string, string> }>(result);
          expect(body.status).to.equal('ready');
          expect(body.checks).to.include({ database: 'ok', migrations: 'ok' });
        }
      } finally {
        await server.stop();
      }
    });

    it('exits non-zero when nothing listens on the port', async () => {
      const port = await freePort();
      const result = await runScimd(['healthcheck', '--timeout', '2000'], { env: { HOST: '127.0.0.1', PORT: String(port) } });
      expect(result.code, explain(result)).to.not.equal(0);
      expect(result.code).to.not.equal(null);
      expect(result.stderr).to.include(String(port));
    });
  });

  describe('MariaDB (TEST_DATABASE_URL)', () => {
    it('service-account create --json, then serve on the same database accepts the token', async () => {
      const url = process.env.TEST_DATABASE_URL;
      if (!url) {
        throw new Error('TEST_DATABASE_URL is not set: this test needs a MariaDB database '
          + '(npm test sets it; or e.g. TEST_DATABASE_URL=mysql://root@127.0.0.1:3306/scimd_it_c)');
      }
      const dataSource = await openDataSource({ kind: 'mariadb', url: url.replace(/^mariadb:/, 'mysql:') });
      try {
        await dataSource.dropDatabase();
      } finally {
        await dataSource.destroy();
      }
      const env = { DATABASE_URL: url };
      const created = await createAccount(env, 'okta');
      expect(created.token).to.match(TOKEN_PATTERN);
      expect(created.roles).to.deep.equal(['SCIM Provisioning']);
      const server = await startServe({ env });
      try {
        expect(await getUsers(server, created.token)).to.equal(200);
        expect(await getUsers(server, `scimd_${'0'.repeat(16)}_${'A'.repeat(43)}`)).to.equal(401);
      } finally {
        const exit = await server.stop();
        expect(exit.code, server.describe()).to.equal(0);
      }
      const listed = await runScimd(['service-account', 'list', '--json'], { env });
      expect(listed.code, explain(listed)).to.equal(0);
      expect(parseJson<ListedAccount[]>(listed).map((account) => account.name)).to.deep.equal(['Batch sync', 'okta']);
    });
  });
});
