import { expect } from 'chai';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import type { CheckResult } from '../../src/diagnosis';
import { testDatabases } from '../support/databases';
import { TestDirectory, testDirectoryEnv } from '../support/directory';
import { TestMailbox } from '../support/mailbox';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider';
import { explain, freePort, runScimd, useSpawnedProcesses, type RunResult } from '../support/processes';

/**
 * `scimd doctor` as an operator runs it: the real CLI against the MariaDB `npm test` prepares, the
 * Samba AD DC, an SMTP server and an OpenID provider. First everything healthy (exit 0), then one
 * thing broken at a time: exit 1, and the report names the failed check and its fix.
 */
interface DoctorJson {
  readonly ok: boolean;
  readonly counts: Readonly<Record<CheckResult['status'], number>>;
  readonly checks: readonly CheckResult[];
}

const mariadb = testDatabases().find((database) => database.name === 'mariadb');

describe('scimd doctor', function () {
  this.timeout(60_000);
  let tmp = '';
  useSpawnedProcesses('scimd-doctor-', (dir) => { tmp = dir; });
  let directory: TestDirectory;
  let mailbox: TestMailbox;
  let oidc: TestOidcProvider;
  let healthy: Record<string, string>;
  let suiteOu: string;
  let groupDn: string;
  const ldap = () => testDirectoryEnv();

  before(async function () {
    if (!mariadb) throw new Error('the doctor suite needs MariaDB: run it with `npm test` (SCIMD_TEST_DATABASES must include mariadb)');
    const database = await mariadb.fresh();
    if (database.kind !== 'mariadb') throw new Error('expected a MariaDB database');
    directory = await TestDirectory.open();
    suiteOu = await directory.createSuiteOu('doctor');
    const user = await directory.createUser(suiteOu, directory.sampleUser(`doc${Date.now().toString(36)}`));
    groupDn = await directory.createGroup(suiteOu, `Doctor Readers ${Date.now().toString(36)}`, { members: [user] });
    const mappingFile = writeMapping('mapping.json', [{ group: { dn: groupDn }, role: 'Auditor' }]);
    mailbox = await TestMailbox.start();
    oidc = await startOidcProvider({ accounts: [], redirectUris: ['http://127.0.0.1:9/admin/oidc/callback'] });
    const env = ldap();
    healthy = {
      DATABASE_URL: database.url,
      MIGRATE_ON_START: 'false',
      LDAP_URL: env.url,
      LDAP_BIND_DN: env.bindDn,
      LDAP_BIND_PASSWORD: env.bindPassword,
      ...(env.caFile ? { LDAP_CA_FILE: env.caFile } : {}),
      ...(env.servername ? { LDAP_TLS_SERVERNAME: env.servername } : {}),
      SYNC_BASE_DNS: suiteOu,
      SYNC_MAPPING_FILE: mappingFile,
      SMTP_URL: mailbox.url,
      MAIL_FROM: 'scimd <noreply@example.test>',
      PUBLIC_URL: 'http://127.0.0.1:9',
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: oidc.clientId,
      OIDC_CLIENT_SECRET: oidc.clientSecret,
    };
    const migrated = await runScimd(['migrate'], { env: healthy, cwd: tmp });
    expect(migrated.code, explain(migrated)).to.equal(0);
  });

  after(async () => {
    await oidc?.stop();
    await mailbox?.stop();
    await directory?.close();
  });

  function writeMapping(name: string, groups: readonly unknown[]): string {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, JSON.stringify({ groups }));
    return file;
  }

  /** Runs `scimd doctor --json` with the healthy configuration changed by `overrides`. */
  async function doctor(overrides: Record<string, string | undefined> = {}): Promise<{ run: RunResult; report: DoctorJson }> {
    const run = await runScimd(['doctor', '--json', '--timeout', '5000'], { env: { ...healthy, ...overrides }, cwd: tmp });
    let report: DoctorJson;
    try {
      report = JSON.parse(run.stdout) as DoctorJson;
    } catch {
      throw new Error(`stdout is not one JSON document:\n${explain(run)}`);
    }
    // Whatever broke, no secret is ever printed.
    for (const secret of [ldap().bindPassword, oidc.clientSecret]) {
      expect(run.stdout + run.stderr, explain(run)).not.to.include(secret);
    }
    return { run, report };
  }

  function check(report: DoctorJson, id: string): CheckResult {
    const found = report.checks.find((result) => result.id === id);
    if (!found) throw new Error(`no check ${id} in ${JSON.stringify(report.checks.map((c) => c.id))}`);
    return found;
  }

  /** Exit 1, the check failed with a detail and a fix as given, and it is the only failure. */
  function expectOnlyFailure(result: { run: RunResult; report: DoctorJson }, id: string, detail: RegExp, fix: RegExp): void {
    const { run, report } = result;
    expect(run.code, explain(run)).to.equal(1);
    expect(report.ok).to.equal(false);
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed, explain(run)).to.deep.equal([id]);
    const found = check(report, id);
    expect(found.detail, explain(run)).to.match(detail);
    expect(found.fix ?? '', explain(run)).to.match(fix);
  }

  it('passes every check of a working setup and exits 0', async () => {
    const { run, report } = await doctor();
    expect(run.code, explain(run)).to.equal(0);
    expect(report.ok).to.equal(true);
    expect(report.counts.fail, explain(run)).to.equal(0);
    for (const id of ['config', 'database.connect', 'database.migrations', 'directory.dns', 'directory.tcp',
      'directory.bind', 'directory.users', 'directory.groups', 'directory.deleted-objects', 'mapping.file', 'mapping.groups',
      'smtp.verify', 'oidc.discovery']) {
      expect(check(report, id).status, `${id}\n${explain(run)}`).to.equal('ok');
    }
    // The test DC's certificate lives 7 days (scripts/lib/ensure-samba.mjs): verified, with a warning to renew it.
    const tls = check(report, 'directory.tls');
    expect(tls.status, explain(run)).to.equal('warn');
    expect(tls.detail).to.match(/verified against LDAP_CA_FILE \(.*\) for .*: expires in [0-7] days$/);
    expect(tls.fix).to.match(/^renew the domain controller's certificate/);
    // Samba lists paged results and show deleted but not ranged retrieval (AD lists all three): a warning there.
    const controls = check(report, 'directory.controls');
    expect(controls.detail).to.match(/^paged results \(1\.2\.840\.113556\.1\.4\.319\)/);
    expect(controls.detail).to.include('show deleted (1.2.840.113556.1.4.417)');
    expect(controls.status, explain(run)).to.equal(controls.detail.includes('(1.2.840.113556.1.4.802) not listed') ? 'warn' : 'ok');
    expect(check(report, 'database.migrations').detail).to.match(/^all \d+ migrations applied$/);
    expect(check(report, 'mapping.groups').detail).to.equal('all 1 groups the mapping file names exist');
  });

  it('prints a readable report: a line per check, and a fix under each failure', async () => {
    const port = await freePort();
    const run = await runScimd(['doctor', '--timeout', '5000'], { env: { ...healthy, SMTP_URL: `smtp://127.0.0.1:${port}` }, cwd: tmp });
    expect(run.code, explain(run)).to.equal(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).to.equal('scimd doctor: 1 check failed; the fix is under each');
    const failure = lines.findIndex((line) => /^FAIL +smtp\.verify +smtp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/.test(line));
    expect(failure, run.stdout).to.be.above(0);
    expect(lines[failure + 1], run.stdout).to.match(/^ +fix: nothing listens there: check the host and port in SMTP_URL/);
    expect(lines.filter((line) => /^ok +database\.connect +mariadb:\/\//.test(line)), run.stdout).to.have.length(1);
    expect(lines.at(-2), run.stdout).to.match(/^\d+ ok, \d+ warnings?, 1 failed, 0 skipped$/);
  });

  it('checks StartTLS on the LDAP port instead of LDAPS, verified the same way', async () => {
    const { run, report } = await doctor({ LDAP_URL: `ldap://${new URL(ldap().url).hostname}:389`, LDAP_START_TLS: 'true' });
    expect(run.code, explain(run)).to.equal(0);
    expect(check(report, 'directory.starttls')).to.deep.include({ status: 'ok' });
    expect(check(report, 'directory.bind').status).to.equal('ok');
    expect(report.checks.map((c) => c.id)).not.to.include('directory.tls');
  });

  it('gives up on a server that accepts the connection and never answers, at each step\'s deadline', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const run = await runScimd(['doctor', '--json', '--timeout', '1000'], {
        env: { ...healthy, LDAP_URL: `ldaps://127.0.0.1:${port}`, SMTP_URL: `smtp://127.0.0.1:${port}` }, cwd: tmp, timeoutMs: 15_000,
      });
      expect(run.code, explain(run)).to.equal(1);
      const report = JSON.parse(run.stdout) as DoctorJson;
      expect(check(report, 'directory.tcp').status).to.equal('ok');
      expect(check(report, 'directory.tls'), explain(run)).to.deep.include({ status: 'fail' });
      expect(check(report, 'directory.tls').detail, explain(run)).to.match(/^the TLS handshake with 127\.0\.0\.1:\d+ failed: .*(timed out|no answer within 1000 ms)/);
      expect(check(report, 'smtp.verify'), explain(run)).to.deep.include({ status: 'fail' });
      expect(check(report, 'smtp.verify').detail, explain(run)).to.match(/Greeting never received|no answer within/i);
      expect(check(report, 'smtp.verify').fix, explain(run)).to.match(/sent no SMTP greeting|check SMTP_URL/);
    } finally {
      silent.close();
    }
  });

  describe('with one thing broken', () => {
    it('an invalid configuration: every problem is listed and nothing is connected to', async () => {
      const result = await doctor({ LDAP_URL: 'ftp://dc1.example.test', PORT: 'eighty' });
      expectOnlyFailure(result, 'config', /PORT: "eighty" is not a whole number/, /correct each variable named/);
      expect(check(result.report, 'config').detail).to.include('LDAP_URL: must be ldaps://');
      expect(result.report.checks).to.have.length(1);
    });

    it('a wrong bind password: the bind fails and says which variable to correct', async () => {
      const result = await doctor({ LDAP_BIND_PASSWORD: 'not-the-password-4711' });
      expectOnlyFailure(result, 'directory.bind', /LDAP bind refused .*invalid credentials/i, /LDAP_BIND_PASSWORD/);
      expect(result.run.stdout).not.to.include('not-the-password-4711');
      expect(check(result.report, 'directory.users').status).to.equal('skip');
      expect(check(result.report, 'mapping.groups').status).to.equal('skip');
    });

    it('an unknown host: DNS fails, and nothing after it is tried', async () => {
      const result = await doctor({ LDAP_URL: 'ldaps://no-such-dc.invalid:636' });
      expectOnlyFailure(result, 'directory.dns', /cannot resolve no-such-dc\.invalid/, /host name in LDAP_URL/);
      expect(check(result.report, 'directory.tcp').status).to.equal('skip');
    });

    it('a CA that did not issue the DC\'s certificate: the TLS check says it is untrusted', async () => {
      const otherCa = path.join(tmp, 'other-ca.pem');
      fs.writeFileSync(otherCa, rootCertificates[0] ?? '');
      const result = await doctor({ LDAP_CA_FILE: otherCa });
      expectOnlyFailure(result, 'directory.tls', /is not signed by a CA in LDAP_CA_FILE/, /set LDAP_CA_FILE to the PEM file of the CA that issued/);
      expect(check(result.report, 'directory.bind').status).to.equal('skip');
    });

    it('a server name the certificate does not hold: the TLS check says which names it holds', async () => {
      const result = await doctor({ LDAP_TLS_SERVERNAME: 'other-dc.example.test' });
      const certificateName = ldap().servername ?? new URL(ldap().url).hostname;
      expectOnlyFailure(result, 'directory.tls', /is not for other-dc\.example\.test; it names /,
        new RegExp(`LDAP_TLS_SERVERNAME=${certificateName.replace(/\./g, '\\.')}`, 'i'));
    });

    it('StartTLS with a CA that did not issue the certificate: the StartTLS check says it is untrusted', async () => {
      const otherCa = path.join(tmp, 'other-ca-starttls.pem');
      fs.writeFileSync(otherCa, rootCertificates[0] ?? '');
      const result = await doctor({ LDAP_URL: `ldap://${new URL(ldap().url).hostname}:389`, LDAP_START_TLS: 'true', LDAP_CA_FILE: otherCa });
      expectOnlyFailure(result, 'directory.starttls', /StartTLS failed/, /set LDAP_CA_FILE to the PEM file of the CA that issued/);
      expect(check(result.report, 'directory.bind').status).to.equal('skip');
    });

    it('a port nothing listens on: the TCP check fails and names the LDAPS port', async () => {
      const url = new URL(ldap().url);
      const result = await doctor({ LDAP_URL: `ldaps://${url.hostname}:${await freePort()}` });
      expectOnlyFailure(result, 'directory.tcp', /refused the connection/, /LDAPS listens on 636/);
    });

    it('an unmigrated database: every pending migration is named, and the fix is scimd migrate', async () => {
      const empty = path.join(tmp, 'empty.sqlite');
      fs.writeFileSync(empty, '');
      const result = await doctor({ DATABASE_URL: `sqlite:${empty}` });
      expectOnlyFailure(result, 'database.migrations', /^(\d+) of \1 migrations pending: InitialSchema\d+, /, /npx scimd migrate/);
      const tables = new Database(empty, { readonly: true }).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      expect(tables, 'the doctor migrates nothing').to.deep.equal([]);
    });

    it('a database that does not answer: the connection fails without printing its password', async () => {
      const result = await doctor({ DATABASE_URL: `mysql://scimd:db-secret-0815@127.0.0.1:${await freePort()}/scimd` });
      expectOnlyFailure(result, 'database.connect', /cannot open the database mariadb:\/\/scimd@127\.0\.0\.1:\d+\/scimd/, /database server runs/);
      expect(result.run.stdout).not.to.include('db-secret-0815');
    });

    it('a mapping file that does not exist', async () => {
      const result = await doctor({ SYNC_MAPPING_FILE: path.join(tmp, 'no-such-mapping.json') });
      expectOnlyFailure(result, 'mapping.file', /no-such-mapping\.json does not exist/, /create the mapping file/);
      expect(check(result.report, 'mapping.groups').status).to.equal('skip');
    });

    it('a group the mapping file names that AD lacks', async () => {
      const missing = `CN=No Such Group,${suiteOu}`;
      const file = writeMapping('missing-group.json', [{ group: { dn: groupDn }, role: 'Auditor' }, { group: { dn: missing }, role: 'Auditor' }]);
      const result = await doctor({ SYNC_MAPPING_FILE: file });
      expectOnlyFailure(result, 'mapping.groups', new RegExp(`1 of 2 groups .* groups\\[1\\] group\\.dn ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
        /create the group in AD/);
    });

    it('SMTP down: the mail server refuses the connection', async () => {
      const stopped = await TestMailbox.start();
      await stopped.stop();
      const result = await doctor({ SMTP_URL: stopped.url });
      expectOnlyFailure(result, 'smtp.verify', /ECONNREFUSED/, /check the host and port in SMTP_URL/);
    });

    it('a wrong OIDC issuer: discovery fails and the fix names OIDC_ISSUER', async () => {
      const result = await doctor({ OIDC_ISSUER: `${oidc.issuer}/wrong-tenant` });
      expectOnlyFailure(result, 'oidc.discovery', /\/wrong-tenant\/\.well-known\/openid-configuration: .*HTTP 404/, /OIDC_ISSUER/);
    });
  });
});
