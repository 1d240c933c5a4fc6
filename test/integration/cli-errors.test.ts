import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { explain, childEnv, freePort, REPO_ROOT, runScimd, SCIMD_BIN, useSpawnedProcesses } from '../support/processes';

/**
 * The `scimd` command line when something is wrong, as a newcomer meets it: a mistyped command, a
 * database that is not where the server's is, a database that does not answer, a reader that stops
 * early, a sync run that fails, something that does not exist. Real child processes, checked from
 * the outside: exit code, stdout, stderr, files.
 */

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

let tmp: string;

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** A fresh folder under the suite's temp folder (e.g. a working directory without ./data). */
function freshDir(name: string): string {
  return fs.mkdtempSync(path.join(tmp, `${name}-`));
}

describe('scimd CLI: errors as a newcomer meets them (spawned processes)', function () {
  this.timeout(90_000);

  useSpawnedProcesses('scimd-cli-errors-', (dir) => {
    tmp = dir;
  });

  describe('commands', () => {
    it('a mistyped command is an unknown command with the closest match, exit 1', async () => {
      const env = { DATABASE_URL: `sqlite:${path.join(tmp, 'unused.sqlite')}` };
      for (const [args, word, match] of [[['roels'], 'roels', 'roles'], [['roles', 'lst'], 'lst', 'list']] as const) {
        const result = await runScimd(args, { env });
        expect(result.code, explain(result)).to.equal(1);
        expect(result.stderr, explain(result)).to.include(`unknown command '${word}'`).and.include(`Did you mean ${match}?`);
        expect(result.stderr).to.not.include('too many arguments');
        expect(result.stdout).to.equal('');
      }
      expect(fs.existsSync(path.join(tmp, 'unused.sqlite')), 'no command ran').to.equal(false);
    });

    it('`scimd` alone prints the commands and exits 1 instead of serving', async () => {
      const cwd = freshDir('no-command');
      const result = await runScimd([], { cwd, timeoutMs: 20_000 });
      expect(result.code, explain(result)).to.equal(1);
      expect(result.stderr, explain(result)).to.include('Usage: scimd').and.include('serve').and.include('service-account');
      expect(fs.existsSync(path.join(cwd, 'data')), 'no default database started').to.equal(false);
    });

    it('an invalid healthcheck --timeout is a usage error naming the option, exit 1', async () => {
      const result = await runScimd(['healthcheck', '--timeout', 'soon'], { env: { PORT: String(await freePort()) } });
      expect(result.code, explain(result)).to.equal(1);
      expect(result.stderr).to.include('--timeout').and.include('soon');
    });
  });

  describe('the SQLite database folder', () => {
    it('an explicit sqlite: path in a folder that does not exist is refused by every command, naming the variable and the folder', async () => {
      const folder = path.join(tmp, 'no-such-folder');
      const env = { DATABASE_URL: `sqlite:${path.join(folder, 'scimd.sqlite')}` };
      for (const args of [['serve'], ['migrate'], ['roles', 'list'], ['service-account', 'create', 'okta', '--role', 'SCIM Provisioning']]) {
        const result = await runScimd(args, { env, timeoutMs: 20_000 });
        expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(1);
        expect(result.stderr, explain(result)).to.include('DATABASE_URL').and.include(folder).and.include('does not exist');
        expect(lines(result.stderr), explain(result)).to.have.length(1);
        expect(fs.existsSync(folder), `${args.join(' ')} created the folder`).to.equal(false);
      }
    });

    it('with DATABASE_URL unset, a command other than serve or migrate does not start the default database', async () => {
      const cwd = freshDir('default-cli');
      const result = await runScimd(['service-account', 'create', 'okta', '--role', 'SCIM Provisioning'], { cwd });
      expect(result.code, explain(result)).to.equal(1);
      expect(result.stderr, explain(result)).to.include('DATABASE_URL is not set').and.include('npm start');
      expect(result.stdout, 'no token minted').to.equal('');
      expect(fs.existsSync(path.join(cwd, 'data')), './data').to.equal(false);
    });

    it('with DATABASE_URL unset, migrate starts the default database in ./data, which the other commands then use', async () => {
      const cwd = freshDir('default-migrate');
      const migrate = await runScimd(['migrate'], { cwd });
      expect(migrate.code, explain(migrate)).to.equal(0);
      expect(fs.existsSync(path.join(cwd, 'data', 'scimd.sqlite')), 'data/scimd.sqlite').to.equal(true);
      const roles = await runScimd(['roles', 'list'], { cwd });
      expect(roles.code, explain(roles)).to.equal(0);
      expect(roles.stdout).to.include('SCIM Provisioning');
    });
  });

  describe('a database that cannot be opened', () => {
    const password = 'pa$$w0rd-not-to-print';

    it('says which database (without the password) in one line, for the CLI and for serve, exit 1', async () => {
      const port = await freePort();
      const env = { DATABASE_URL: `mysql://scimd:${encodeURIComponent(password)}@127.0.0.1:${port}/scimd_nowhere` };
      for (const args of [['roles', 'list'], ['serve']]) {
        const result = await runScimd(args, { env, timeoutMs: 30_000 });
        expect(result.code, explain(result)).to.equal(1);
        expect(lines(result.stderr), explain(result)).to.have.length(1);
        expect(result.stderr).to.include(`mariadb://scimd@127.0.0.1:${port}/scimd_nowhere`).and.include('ECONNREFUSED');
        expect(result.stdout + result.stderr).to.not.include('pa$$w0rd').and.not.include(encodeURIComponent(password));
      }
    });

    it('shows the error\'s frames at LOG_LEVEL=debug, still without the password', async () => {
      const port = await freePort();
      const env = { DATABASE_URL: `mysql://scimd:${encodeURIComponent(password)}@127.0.0.1:${port}/scimd_nowhere`, LOG_LEVEL: 'debug' };
      const result = await runScimd(['roles', 'list'], { env });
      expect(result.code, explain(result)).to.equal(1);
      expect(lines(result.stderr)[0], explain(result)).to.include(`mariadb://scimd@127.0.0.1:${port}/scimd_nowhere`);
      expect(result.stderr, explain(result)).to.match(/^\s+at /m);
      expect(result.stderr).to.not.include('pa$$w0rd').and.not.include(encodeURIComponent(password));
    });

    it('MariaDB (TEST_DATABASE_URL): a refused login names the database and its user, never the password', async () => {
      const url = process.env.TEST_DATABASE_URL;
      if (!url) throw new Error('TEST_DATABASE_URL is not set: this test needs a MariaDB server (npm test sets it)');
      const wrong = new URL(url);
      wrong.password = encodeURIComponent('wrong#p@ss/word');
      const result = await runScimd(['roles', 'list'], { env: { DATABASE_URL: wrong.toString() } });
      expect(result.code, explain(result)).to.equal(1);
      expect(lines(result.stderr), explain(result)).to.have.length(1);
      expect(result.stderr).to.include(`mariadb://${wrong.username}@${wrong.hostname}:${wrong.port || '3306'}${wrong.pathname}`);
      expect(result.stderr).to.match(/access denied/i);
      expect(result.stderr).to.not.include('wrong#p@ss').and.not.include(wrong.password);
    });
  });

  describe('a reader that stops early (| head)', () => {
    it('roles list into a pipe its reader has closed: exit 0, nothing on stderr', async () => {
      const file = path.join(tmp, 'pipe.sqlite');
      const migrate = await runScimd(['migrate'], { env: { DATABASE_URL: `sqlite:${file}` } });
      expect(migrate.code, explain(migrate)).to.equal(0);
      // The read end is closed right after the spawn, long before the child has booted and
      // written its first line, so that write (and every one after it) fails with EPIPE.
      const child = spawn(process.execPath, [SCIMD_BIN, 'roles', 'list'], {
        cwd: REPO_ROOT, env: childEnv({ DATABASE_URL: `sqlite:${file}` }), stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
      try {
        const code = await new Promise<number | null>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`scimd roles list did not exit within 30 s\n${stderr}`)), 30_000);
          child.once('close', (exitCode) => {
            clearTimeout(timer);
            resolve(exitCode);
          });
        });
        expect(code, stderr).to.equal(0);
        expect(stderr).to.equal('');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });

  describe('sync run that fails', () => {
    const bindPassword = 'bind-secret-not-to-print';

    async function syncEnv(name: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
      // Nothing listens on the port: the run fails connecting, after it is recorded.
      return {
        DATABASE_URL: `sqlite:${path.join(tmp, `${name}.sqlite`)}`, LDAP_URL: `ldaps://127.0.0.1:${await freePort()}`,
        LDAP_BIND_DN: 'CN=svc-scimd,DC=example,DC=com', LDAP_BIND_PASSWORD: bindPassword, SYNC_BASE_DNS: 'DC=example,DC=com',
        ...extra,
      };
    }

    /** stderr without the progress lines (`sync: connecting (0.0 s)`), which docs/ad-sync.md promises. */
    function withoutProgress(stderr: string): string[] {
      return lines(stderr).filter((line) => !/^sync: .+ \(\d+\.\d s\)$/.test(line));
    }

    it('prints one line saying why, nothing on stdout, exit 1; the run is recorded as failed', async () => {
      const env = await syncEnv('sync-fails');
      const result = await runScimd(['sync', 'run'], { env });
      expect(result.code, explain(result)).to.equal(1);
      expect(result.stdout, explain(result)).to.equal('');
      const messages = withoutProgress(result.stderr);
      expect(messages, explain(result)).to.have.length(1);
      expect(messages[0]).to.match(new RegExp(`^scimd: sync run ${UUID} failed: cannot connect .*ECONNREFUSED`));
      expect(result.stderr).to.not.include(bindPassword);
      const runId = /sync run (\S+) failed/.exec(messages[0] ?? '')?.[1] ?? '';
      const report = await runScimd(['sync', 'report', runId, '--format', 'json'], { env });
      expect(report.code, explain(report)).to.equal(0);
      expect((JSON.parse(report.stdout) as { run: { status: string } }).run.status).to.equal('failed');
    });

    it('--json prints the failed run on stdout and the same one line on stderr, exit 1', async () => {
      const result = await runScimd(['sync', 'run', '--json'], { env: await syncEnv('sync-fails-json') });
      expect(result.code, explain(result)).to.equal(1);
      const run = JSON.parse(result.stdout) as { id: string; status: string };
      expect(run.status, explain(result)).to.equal('failed');
      const messages = withoutProgress(result.stderr);
      expect(messages, explain(result)).to.have.length(1);
      expect(messages[0]).to.match(new RegExp(`^scimd: sync run ${run.id} failed: cannot connect `));
    });

    it('at LOG_LEVEL=debug also logs the error with its frames (a JSON line), still not the bind password', async () => {
      const result = await runScimd(['sync', 'run'], { env: await syncEnv('sync-fails-debug', { LOG_LEVEL: 'debug' }) });
      expect(result.code, explain(result)).to.equal(1);
      const logged = lines(result.stderr).filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { stack?: string } })
        .filter((line) => line.msg === 'sync run failed');
      expect(logged, explain(result)).to.have.length(1);
      expect(logged[0]?.level, 'pino debug').to.equal(20);
      expect(logged[0]?.err?.stack).to.be.a('string').and.match(/^at /);
      expect(result.stderr).to.not.include(bindPassword);
    });
  });

  describe('exit codes', () => {
    it('3 for something that does not exist, on every command that names one', async () => {
      const env = { DATABASE_URL: `sqlite:${path.join(tmp, 'not-found.sqlite')}` };
      const cases: [string[], string][] = [
        [['token', 'create', 'nobody'], 'nobody'],
        [['token', 'revoke', '0123456789abcdef'], '0123456789abcdef'],
        [['token', 'revoke', '0123456789abcdef', '--json'], '0123456789abcdef'],
        [['service-account', 'create', 'okta', '--role', 'No Such Role'], 'No Such Role'],
        [['sync', 'report'], 'No sync run'],
        [['sync', 'report', '00000000-0000-4000-8000-0000000000ff'], '00000000-0000-4000-8000-0000000000ff'],
      ];
      for (const [args, named] of cases) {
        const result = await runScimd(args, { env });
        expect(result.code, `${args.join(' ')}\n${explain(result)}`).to.equal(3);
        expect(result.stderr).to.include(named);
        expect(result.stdout).to.equal('');
      }
    });

    it('1 for other refusals (a duplicate name)', async () => {
      const env = { DATABASE_URL: `sqlite:${path.join(tmp, 'conflict.sqlite')}` };
      const first = await runScimd(['service-account', 'create', 'okta', '-r', 'SCIM Provisioning', '-d', 'Okta'], { env });
      expect(first.code, explain(first)).to.equal(0);
      const again = await runScimd(['service-account', 'create', 'okta', '-r', 'SCIM Provisioning'], { env });
      expect(again.code, explain(again)).to.equal(1);
      expect(again.stderr).to.include('already exists');
    });
  });
});
