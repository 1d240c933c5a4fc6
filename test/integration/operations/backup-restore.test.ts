import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openDataSource } from '../../../src/db/data-source';
import { testDatabases } from '../../support/databases';
import { explain, runScimd, useSpawnedProcesses } from '../../support/processes';
import { TestServer, USER_SCHEMA } from '../../support/test-server';

/**
 * The backup and restore of docs/operations.md ("Backup and restore"), exactly as written there,
 * against the real MariaDB: a consistent dump while scimd serves, restored into a second database,
 * which then verifies its audit chain and holds the same users.
 */
describe('Backup and restore of a MariaDB database', function () {
  this.timeout(120_000);
  if (!testDatabases().some((database) => database.name === 'mariadb')) return;
  let tmp: string;
  useSpawnedProcesses('scimd-backup-', (dir) => { tmp = dir; });
  let server: TestServer;
  let sourceUrl: URL;
  let restoredUrl: URL;
  let optionFile: string;

  /** Runs a MariaDB client tool with stdin/stdout bound to files; rejects with its stderr on failure. */
  function client(tool: string, args: string[], io: { stdin?: string; stdout?: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(tool, args, { stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
      if (io.stdin && child.stdin) createReadStream(io.stdin).pipe(child.stdin);
      if (io.stdout && child.stdout) child.stdout.pipe(createWriteStream(io.stdout));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} exited ${String(code)}: ${stderr}`))));
    });
  }

  before(async () => {
    const database = testDatabases().find((candidate) => candidate.name === 'mariadb');
    const config = await database!.fresh();
    if (config.kind !== 'mariadb') throw new Error('expected a MariaDB test database');
    sourceUrl = new URL(config.url);
    restoredUrl = new URL(config.url);
    restoredUrl.pathname = `${sourceUrl.pathname}_restored`;
    // The credentials in an option file readable by its owner only, as the docs advise (not on the command line).
    optionFile = path.join(tmp, 'backup.cnf');
    writeFileSync(optionFile, `[client]\nhost=${sourceUrl.hostname}\nport=${sourceUrl.port || '3306'}\n`
      + `user=${decodeURIComponent(sourceUrl.username)}\npassword=${decodeURIComponent(sourceUrl.password)}\n`, { mode: 0o600 });
    server = await TestServer.start(config);
  });

  after(async () => {
    await server?.stop();
    if (restoredUrl) {
      const restored = await openDataSource({ kind: 'mariadb', url: restoredUrl.toString() }).catch(() => undefined);
      await restored?.dropDatabase();
      await restored?.destroy();
    }
  });

  it('restores a dump taken while scimd serves into a database whose audit chain verifies', async () => {
    const client1 = server.client(await server.token('idp', ['SCIM Provisioning']));
    for (let i = 0; i < 20; i++) {
      const reply = await client1.post('/Users', { schemas: [USER_SCHEMA], userName: `backup-${i}@example.com` });
      expect(reply.status).to.equal(201);
    }
    const dump = path.join(tmp, 'scimd.sql');
    const sourceName = sourceUrl.pathname.slice(1);
    const restoredName = restoredUrl.pathname.slice(1);
    // The documented dump: one consistent InnoDB snapshot, no table locks, rows streamed.
    await client('mariadb-dump', [`--defaults-extra-file=${optionFile}`, '--single-transaction', '--quick', '--no-tablespaces', sourceName], { stdout: dump });
    await client('mariadb', [`--defaults-extra-file=${optionFile}`, '-e', `CREATE DATABASE \`${restoredName}\` CHARACTER SET utf8mb4`], {});
    await client('mariadb', [`--defaults-extra-file=${optionFile}`, restoredName], { stdin: dump });

    const verified = await runScimd(['audit', 'verify', '--json'], { env: { DATABASE_URL: restoredUrl.toString() } });
    expect(verified.code, explain(verified)).to.equal(0);
    expect((JSON.parse(verified.stdout) as { ok: boolean }).ok).to.equal(true);
    const restored = await openDataSource({ kind: 'mariadb', url: restoredUrl.toString() });
    try {
      const [users] = await restored.query('SELECT COUNT(*) AS n FROM users') as { n: number | string }[];
      expect(Number(users?.n)).to.equal(await server.count('users'));
    } finally {
      await restored.destroy();
    }
  });
});
