import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from './processes';

/**
 * A private MariaDB server for tests that stop and start the database under a running scimd: its
 * own data directory, port and socket, so that killing it touches nothing but the suite that
 * started it (the shared test database that `npm test` prepares stays up for everyone else).
 *
 * The binaries are Debian's `mariadb-server`, which the harness has installed before mocha runs
 * (scripts/lib/ensure-mariadb.mjs). As root, mariadbd runs as `mysql`, and every file it writes
 * (data, socket, pid, error log) lives in a folder owned by that user: a root-only temporary folder
 * fails with "Bind on unix socket: Permission denied".
 */
const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = 'mariadb-install-db';
const DATABASE = 'scimd';
/** Long enough for a start on a busy 2-core machine (a few hundred ms when idle). */
const START_DEADLINE_MS = 30_000;
const EXIT_DEADLINE_MS = 30_000;

const run = promisify(execFile);

/**
 * Server options. Small InnoDB files so that initialising a data directory takes under a second.
 * `innodb_flush_log_at_trx_commit=2` writes the log to the operating system at each commit and
 * flushes it to disk once a second: the tests kill the process, not the machine, so a committed
 * transaction survives a SIGKILL exactly as with the default of 1, without an fsync per commit.
 */
const SERVER_OPTIONS = [
  '--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M', '--innodb-flush-log-at-trx-commit=2',
  '--skip-name-resolve', '--bind-address=127.0.0.1', '--max-connections=100',
];

export const MARIADB_TEST_DATABASE = DATABASE;

export class MariadbServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly dir: string, readonly port: number) {}

  /** Initialises a data directory in a new temporary folder, starts the server and creates the database `scimd`. */
  static async start(): Promise<MariadbServer> {
    if (!fs.existsSync(MARIADBD)) throw new Error(`${MARIADBD} is missing: run the suite with npm test, which installs mariadb-server`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimd-test-mariadbd-'));
    const server = new MariadbServer(dir, await freePort());
    try {
      fs.chmodSync(dir, 0o750);
      if (isRoot()) await run('chown', ['mysql:mysql', dir]);
      await run(INSTALL_DB, [
        ...userOption(), `--datadir=${server.dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db',
        '--cross-bootstrap', '--innodb-log-file-size=16M',
      ]);
      await server.restart();
      const connection = await server.connect();
      await connection.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4`);
      await connection.end();
    } catch (error) {
      await server.remove();
      throw error;
    }
    return server;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  private get errorLog(): string {
    return path.join(this.dir, 'error.log');
  }

  /** DATABASE_URL for scimd: root without a password, over TCP on loopback. */
  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/${DATABASE}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The PID of the running server, for the test's own signals. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Starts the server on its data directory and port (again, after kill()); resolves once it answers a query. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('mariadbd is already running');
    const child = spawn(MARIADBD, [
      '--no-defaults', ...userOption(), `--datadir=${this.dataDir}`, `--port=${this.port}`,
      `--socket=${path.join(this.dir, 'mysqld.sock')}`, `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
      `--log-error=${this.errorLog}`, ...SERVER_OPTIONS,
    ], { stdio: 'ignore' });
    this.child = child;
    // A test run that ends without after() (a crash, process.exit) must not leave the server behind.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) => child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }));
    await this.waitUntilAnswering();
  }

  /**
   * Sends `signal` to the server and waits for it to exit: SIGKILL for a crash (connections reset,
   * InnoDB recovers at the next start), SIGTERM for a clean shutdown (connections are told and closed).
   */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child?.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`mariadbd did not exit within ${EXIT_DEADLINE_MS} ms of ${signal}\n${this.logTail()}`)), EXIT_DEADLINE_MS);
    })]).finally(() => clearTimeout(timer));
  }

  /**
   * Freezes the server (SIGSTOP): its sockets stay open and accept, but nothing answers, as with a
   * host that hangs or a network that drops packets. thaw() (SIGCONT) lets it go on.
   */
  freeze(): void {
    if (!this.running) throw new Error('mariadbd is not running');
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** A connection as root, to the database `scimd` once it exists (the caller ends it). */
  connect(options: { readonly database?: string } = {}): Promise<mysql.Connection> {
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 2_000, ...options });
  }

  /** Stops the server (SIGTERM, then SIGKILL) and removes its folder. */
  async remove(): Promise<void> {
    this.thaw();
    await this.kill('SIGTERM').catch(() => this.kill('SIGKILL'));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The end of the server's error log, for failure messages. */
  logTail(): string {
    try {
      return `--- mariadbd error log (end) ---\n${fs.readFileSync(this.errorLog, 'utf8').split('\n').slice(-15).join('\n')}`;
    } catch {
      return '(no mariadbd error log)';
    }
  }

  /** A server's readiness announces itself nowhere we can wait on, so it is polled, with a deadline, stopping if the process exits. */
  private async waitUntilAnswering(): Promise<void> {
    const deadline = Date.now() + START_DEADLINE_MS;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`mariadbd exited while starting\n${this.logTail()}`);
      try {
        const connection = await this.connect();
        await connection.query('SELECT 1');
        await connection.end();
        return;
      } catch (error) {
        last = (error as Error).message;
      }
      let pause: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise((resolve) => { pause = setTimeout(resolve, 100); })]);
      clearTimeout(pause);
    }
    throw new Error(`mariadbd did not answer within ${START_DEADLINE_MS} ms (last: ${last})\n${this.logTail()}`);
  }
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** As root, the server drops to `mysql`; as anyone else it runs as that user. */
function userOption(): string[] {
  return isRoot() ? ['--user=mysql'] : [];
}
