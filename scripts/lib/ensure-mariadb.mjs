// Provisions a MariaDB/MySQL database for the integration tests (used by scripts/test.mjs).
//
// - TEST_DATABASE_URL set: used as given (only probed, never created or dropped).
// - Otherwise: make sure a server answers on 127.0.0.1:3306 (starting, or installing and
//   starting, the local MariaDB if needed), get an account that may create scimd_test_*
//   databases, create a throw-away database and hand back its URL and a drop function.
//
// Overrides, mainly for testing this script itself (see docs/testing.md):
//   SCIMD_TEST_MARIADB_HOST    default 127.0.0.1
//   SCIMD_TEST_MARIADB_PORT    default 3306
//   SCIMD_TEST_MARIADB_SOCKET  default /run/mysqld/mysqld.sock (used only for the root bootstrap)
//   SCIMD_TEST_MARIADB_WAIT    seconds to wait for a freshly started server, default 60

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';

const MARIADBD = '/usr/sbin/mariadbd';
const CONNECT_TIMEOUT_MS = 2000;

// Dedicated account created through the root unix socket when root cannot log in over TCP.
// The password is fixed on purpose; it is test-only and not a secret: the account is bound
// to 127.0.0.1/localhost and may only touch scimd_test_* databases. A fixed password keeps
// concurrent `npm test` runs on one machine from invalidating each other's credentials.
export const TEST_USER = 'scimd_test';
export const TEST_PASSWORD = 'scimd-test-only';
export const DB_PREFIX = 'scimd_test_';

export class SetupError extends Error {}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND',
  'EAI_AGAIN', 'ENOENT', 'EPIPE', 'PROTOCOL_CONNECTION_LOST',
]);
const ACCESS_DENIED = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isConnectionError = (e) => CONNECTION_ERRORS.has(e?.code) || /timeout|ECONNREFUSED/i.test(String(e?.message));
const isAccessDenied = (e) => ACCESS_DENIED.has(e?.code) || e?.errno === 1045 || e?.errno === 1698;

/** Connects; returns { conn } or { error }. Never throws. */
async function tryConnect(options) {
  try {
    const conn = await mysql.createConnection({ connectTimeout: CONNECT_TIMEOUT_MS, ...options });
    return { conn };
  } catch (error) {
    return { error };
  }
}

async function serverVersion(conn) {
  const [rows] = await conn.query('SELECT VERSION() AS v');
  return rows[0].v;
}

function buildUrl({ user, password, host, port, database }) {
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  return `mysql://${auth}@${host}:${port}/${database}`;
}

export function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Parses a mysql:// or mariadb:// URL into mysql2 connection options. */
export function parseDatabaseUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new SetupError('TEST_DATABASE_URL is not a valid URL (expected mysql://user:pass@host:port/db)');
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new SetupError(`TEST_DATABASE_URL must start with mysql:// or mariadb:// (got ${u.protocol}//)`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new SetupError('TEST_DATABASE_URL names no database (expected mysql://user:pass@host:port/db)');
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password),
    database,
  };
}

/**
 * Runs a command, child stdout/stderr both going to our stderr (keeps stdout clean).
 * Resolves with the exit code; with capture: true resolves { code, stdout } instead.
 */
export function runCommand(cmd, args, { env, capture = false } = {}) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['ignore', capture ? 'pipe' : 2, capture ? 'ignore' : 2],
        env: env ?? process.env,
      });
    } catch (error) {
      resolve(capture ? { code: -1, stdout: '', error } : -1);
      return;
    }
    let stdout = '';
    if (capture) child.stdout.on('data', (d) => { stdout += d; });
    child.on('error', (error) => resolve(capture ? { code: -1, stdout, error } : -1));
    child.on('close', (code, signal) => {
      const c = code ?? (signal ? 128 : 1);
      resolve(capture ? { code: c, stdout } : c);
    });
  });
}

/** Reads the [mysqld] options MariaDB would start with (datadir, user, socket, log-error...). */
async function serverDefaults() {
  const opts = {};
  for (const tool of ['my_print_defaults', 'mariadb-print-defaults']) {
    const { code, stdout } = await runCommand(tool, ['--mysqld'], { capture: true });
    if (code !== 0) continue;
    for (const line of stdout.split('\n')) {
      const m = /^--([^=]+)(?:=(.*))?$/.exec(line.trim());
      if (m) opts[m[1].replace(/_/g, '-')] = m[2] ?? '';
    }
    break;
  }
  return opts;
}

function chownToMysql(dir) {
  const out = fs.existsSync('/etc/passwd') ? fs.readFileSync('/etc/passwd', 'utf8') : '';
  const entry = out.split('\n').find((l) => l.startsWith('mysql:'));
  if (!entry) return;
  const [, , uid, gid] = entry.split(':');
  fs.chownSync(dir, Number(uid), Number(gid));
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function tailFile(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return null;
  }
}

async function installMariaDb(log) {
  if (!isRoot()) {
    throw new SetupError('MariaDB is not installed and this is not root, so it cannot be installed here. '
      + 'Install mariadb-server (sudo apt-get install mariadb-server) or set TEST_DATABASE_URL.');
  }
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new SetupError('MariaDB is not installed and apt-get is not available. Install MariaDB/MySQL yourself or set TEST_DATABASE_URL.');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('MariaDB not installed; running apt-get update && apt-get install -y mariadb-server…');
  if (await runCommand('apt-get', ['update'], { env }) !== 0) {
    log('apt-get update failed; trying the install with the package lists already on this machine');
  }
  if (await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'mariadb-server'], { env }) !== 0) {
    throw new SetupError('apt-get install mariadb-server failed (see output above)');
  }
  if (!fs.existsSync(MARIADBD)) throw new SetupError(`mariadb-server was installed but ${MARIADBD} does not exist`);
  log('mariadb-server installed');
}

async function startMariaDb(log) {
  if (!isRoot()) {
    throw new SetupError(`MariaDB is installed but not running, and this is not root, so it cannot be started here. `
      + 'Start it (sudo service mariadb start) or set TEST_DATABASE_URL.');
  }
  const defaults = await serverDefaults();
  const runDir = path.dirname(defaults.socket || '/run/mysqld/mysqld.sock');
  for (const dir of new Set([runDir, path.dirname(defaults['pid-file'] || '/run/mysqld/mysqld.pid')])) {
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      chownToMysql(dir);
    }
  }
  if (defaults['log-error']) {
    const logDir = path.dirname(defaults['log-error']);
    if (!fs.existsSync(logDir)) {
      fs.mkdirSync(logDir, { recursive: true });
      chownToMysql(logDir);
    }
  }
  const datadir = defaults.datadir || '/var/lib/mysql';
  if (!fs.existsSync(path.join(datadir, 'mysql'))) {
    log(`data directory ${datadir} is not initialised; running mariadb-install-db…`);
    fs.mkdirSync(datadir, { recursive: true });
    chownToMysql(datadir);
    const installDb = fs.existsSync('/usr/bin/mariadb-install-db') ? 'mariadb-install-db' : 'mysql_install_db';
    // Same flags as Debian's mariadb-server postinst: --cross-bootstrap skips the host name
    // lookup (fails in minimal containers), TMPDIR= works around Debian bug #1022994.
    const args = ['--user=mysql', `--datadir=${datadir}`, '--cross-bootstrap', '--disable-log-bin', '--skip-test-db'];
    if (await runCommand(installDb, args, { env: { ...process.env, TMPDIR: '' } }) !== 0) {
      throw new SetupError(`${installDb} failed (see output above)`);
    }
  }
  // mariadbd refuses to run as root unless told which user to switch to.
  const extra = defaults.user ? [] : ['--', '--user=mysql'];
  defaults.alreadyRunning = await mariadbdRunning();
  log(`starting ${MARIADBD}…`);
  const code = await runCommand('start-stop-daemon',
    ['--start', '--oknodo', '--background', '--exec', MARIADBD, ...extra]);
  if (code !== 0) throw new SetupError(`start-stop-daemon failed to start ${MARIADBD} (exit ${code})`);
  return defaults;
}

async function mariadbdRunning() {
  return (await runCommand('start-stop-daemon', ['--status', '--exec', MARIADBD])) === 0;
}

/** Waits until something accepts MySQL-protocol connections on host:port. */
async function waitForServer({ host, port, shouldAbort, defaults }) {
  const waitSeconds = Number(process.env.SCIMD_TEST_MARIADB_WAIT || 60);
  const deadline = Date.now() + waitSeconds * 1000;
  let lastError;
  let checkedAlive = false;
  while (Date.now() < deadline) {
    if (shouldAbort()) throw new SetupError('interrupted');
    const { conn, error } = await tryConnect({ host, port, user: 'root' });
    if (conn) {
      await conn.end().catch(() => {});
      return;
    }
    if (!isConnectionError(error)) return; // e.g. access denied: the server is up
    lastError = error;
    // Give it a few seconds, then fail fast if the daemon died instead of waiting the full minute.
    if (!checkedAlive && Date.now() > deadline - (waitSeconds - 5) * 1000) {
      checkedAlive = true;
      if (!(await mariadbdRunning())) {
        const logTail = defaults?.['log-error'] ? tailFile(defaults['log-error']) : null;
        throw new SetupError(`${MARIADBD} exited right after starting`
          + (logTail ? `; last lines of ${defaults['log-error']}:\n${logTail}` : ''));
      }
    }
    await sleep(500);
  }
  throw new SetupError(`MariaDB did not accept connections on ${host}:${port} within ${waitSeconds}s `
    + `(last error: ${lastError?.code || lastError?.message})`
    + (defaults?.alreadyRunning ? `; a ${MARIADBD} was already running, so check its port/bind-address or set TEST_DATABASE_URL` : '')
    + (defaults?.['log-error'] ? `; see ${defaults['log-error']}` : ''));
}

/** Creates the scimd_test accounts through the root unix socket. */
async function bootstrapTestUser({ socketPath, log }) {
  if (!fs.existsSync(socketPath)) {
    throw new SetupError(`root cannot log in over TCP without a password and the socket ${socketPath} does not exist. `
      + 'Set TEST_DATABASE_URL to an account that may create databases.');
  }
  const { conn, error } = await tryConnect({ socketPath, user: 'root' });
  if (!conn) {
    throw new SetupError(`root cannot log in over TCP without a password, and root login through ${socketPath} `
      + `failed too (${error?.code || error?.message}; unix_socket auth needs this to run as OS user root). `
      + 'Set TEST_DATABASE_URL to an account that may create databases.');
  }
  try {
    log(`creating MariaDB user ${TEST_USER} (127.0.0.1, localhost) via ${socketPath}`);
    for (const host of ['127.0.0.1', 'localhost']) {
      const account = `'${TEST_USER}'@'${host}'`;
      await conn.query(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ?`, [TEST_PASSWORD]);
      await conn.query(`ALTER USER ${account} IDENTIFIED BY ?`, [TEST_PASSWORD]);
      await conn.query(`GRANT ALL PRIVILEGES ON \`scimd\\_test\\_%\`.* TO ${account}`);
    }
    await conn.query('FLUSH PRIVILEGES');
  } finally {
    await conn.end().catch(() => {});
  }
}

/**
 * Returns { url, version, cleanup }, where url is the TEST_DATABASE_URL for mocha and
 * cleanup() drops the throw-away database (a no-op for a user-supplied URL).
 */
export async function ensureTestDatabase({ log, shouldAbort = () => false }) {
  const supplied = process.env.TEST_DATABASE_URL;
  if (supplied) {
    const opts = parseDatabaseUrl(supplied);
    const { conn, error } = await tryConnect(opts);
    if (!conn) {
      throw new SetupError(`cannot connect with TEST_DATABASE_URL=${redactUrl(supplied)}: ${error?.code || ''} ${error?.message}`);
    }
    const version = await serverVersion(conn).finally(() => conn.end().catch(() => {}));
    log(`using TEST_DATABASE_URL ${redactUrl(supplied)} (${version})`);
    return { url: supplied, version, cleanup: async () => {} };
  }

  const host = process.env.SCIMD_TEST_MARIADB_HOST || '127.0.0.1';
  const port = Number(process.env.SCIMD_TEST_MARIADB_PORT || 3306);
  const socketPath = process.env.SCIMD_TEST_MARIADB_SOCKET || '/run/mysqld/mysqld.sock';

  let probe = await tryConnect({ host, port, user: 'root' });
  if (probe.error && isConnectionError(probe.error)) {
    log(`no MariaDB at ${host}:${port} (${probe.error.code || probe.error.message})`);
    if (!fs.existsSync(MARIADBD)) await installMariaDb(log);
    let defaults;
    // The Debian package may have started the server itself; only start it if it is still down.
    probe = await tryConnect({ host, port, user: 'root' });
    if (probe.error && isConnectionError(probe.error)) {
      defaults = await startMariaDb(log);
      await waitForServer({ host, port, shouldAbort, defaults });
      probe = await tryConnect({ host, port, user: 'root' });
    }
  }

  let creds;
  if (probe.conn) {
    creds = { user: 'root', password: '' };
  } else if (isAccessDenied(probe.error)) {
    // Fresh Debian: root@localhost authenticates via unix_socket only.
    let attempt = await tryConnect({ host, port, user: TEST_USER, password: TEST_PASSWORD });
    if (!attempt.conn) {
      if (!isAccessDenied(attempt.error)) throw new SetupError(`cannot connect to ${host}:${port}: ${attempt.error?.message}`);
      await bootstrapTestUser({ socketPath, log });
      attempt = await tryConnect({ host, port, user: TEST_USER, password: TEST_PASSWORD });
      if (!attempt.conn) {
        throw new SetupError(`created ${TEST_USER} but cannot log in as it over TCP: ${attempt.error?.message}`);
      }
    }
    probe = attempt;
    creds = { user: TEST_USER, password: TEST_PASSWORD };
  } else {
    throw new SetupError(`cannot connect to MariaDB at ${host}:${port}: ${probe.error?.code || ''} ${probe.error?.message}`);
  }

  const conn = probe.conn;
  let version;
  const database = DB_PREFIX + randomBytes(3).toString('hex');
  try {
    version = await serverVersion(conn);
    log(`MariaDB at ${host}:${port} ready (${version}, user ${creds.user})`);
    await conn.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end().catch(() => {});
  }
  log(`database ${database} created`);

  let dropped = false;
  const cleanup = async () => {
    if (dropped) return;
    dropped = true;
    const { conn: c, error } = await tryConnect({ host, port, ...creds });
    if (!c) {
      log(`could not drop database ${database}: ${error?.message}`);
      return;
    }
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      log(`database ${database} dropped`);
    } catch (e) {
      log(`could not drop database ${database}: ${e.message}`);
    } finally {
      await c.end().catch(() => {});
    }
  };
  return { url: buildUrl({ ...creds, host, port, database }), version, cleanup };
}
