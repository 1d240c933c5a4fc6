#!/usr/bin/env node
// `npm test`: type-check, lint, make sure a MariaDB test database exists, start a throw-away
// Samba AD DC (the test directory), make sure Debian's Chromium is installed (the browser tests),
// run mocha.
// Stops at the first failing step. Extra arguments go to mocha (`npm test -- --grep foo`).
// See docs/testing.md.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTestDatabase, SetupError } from './lib/ensure-mariadb.mjs';
import { ensureTestDirectory, SambaSetupError } from './lib/ensure-samba.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const log = (msg) => process.stderr.write(`[test] ${msg}\n`);
const truthy = (v) => v != null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

class StepFailed extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

// ---- cleanup and signal handling -------------------------------------------------------

const cleanups = [];
let current = null; // running child process
let signalled = null;

async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      log(`cleanup failed: ${e.message}`);
    }
  }
}

function onSignal(sig) {
  if (signalled) {
    // Second signal: stop waiting for the child.
    if (current) current.kill('SIGKILL');
    return;
  }
  signalled = sig;
  log(`${sig} received, stopping…`);
  if (current) {
    const child = current;
    if (sig === 'SIGINT') {
      // A Ctrl-C in a terminal already reached the child (same process group); forward only
      // if it is still running a moment later (the signal was sent to us alone).
      setTimeout(() => { if (child.exitCode == null && child.signalCode == null) child.kill(sig); }, 1000).unref();
    } else {
      child.kill(sig);
    }
  }
}
for (const sig of Object.keys(SIGNAL_CODES)) process.on(sig, onSignal);

function checkSignal() {
  if (signalled) throw new StepFailed(`interrupted by ${signalled}`, SIGNAL_CODES[signalled]);
}

// ---- helpers ---------------------------------------------------------------------------

function localBin(name) {
  const bin = path.join(root, 'node_modules', '.bin', name);
  if (!fs.existsSync(bin)) {
    throw new StepFailed(`node_modules/.bin/${name} not found; run \`npm install\` first`);
  }
  return bin;
}

/** Runs a command with inherited stdio; resolves with its exit code (128+n if killed by signal n). */
function run(cmd, args, { env = process.env } = {}) {
  checkSignal();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    current = child;
    child.on('error', (err) => {
      current = null;
      reject(new StepFailed(`could not run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      current = null;
      resolve(code ?? 128 + (os.constants.signals[signal] ?? 0));
    });
  });
}

// ---- steps -----------------------------------------------------------------------------

async function typecheck() {
  if (truthy(process.env.SKIP_TYPECHECK)) return log('type-check skipped (SKIP_TYPECHECK)');
  log('type-check…');
  const code = await run(localBin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
  checkSignal();
  if (code !== 0) throw new StepFailed(`type-check failed (tsc exit ${code})`);
}

async function lint() {
  if (truthy(process.env.SKIP_LINT)) return log('lint skipped (SKIP_LINT)');
  log('lint…');
  const code = await run(localBin('eslint'), ['.']);
  checkSignal();
  if (code !== 0) throw new StepFailed(`lint failed (eslint exit ${code})`);
}

async function database() {
  log('checking MariaDB…');
  let db;
  try {
    db = await ensureTestDatabase({ log, shouldAbort: () => signalled != null });
  } catch (e) {
    checkSignal();
    if (e instanceof SetupError) throw new StepFailed(`database setup failed: ${e.message}`);
    throw e;
  }
  cleanups.push(db.cleanup);
  checkSignal();
  return db.url;
}

async function directory() {
  if (truthy(process.env.SKIP_SAMBA)) {
    log('test directory skipped (SKIP_SAMBA): the directory-sync tests will fail');
    return {};
  }
  log('checking the test directory (Samba AD DC)…');
  let samba;
  try {
    samba = await ensureTestDirectory({ log, shouldAbort: () => signalled != null });
  } catch (e) {
    checkSignal();
    if (e instanceof SambaSetupError) throw new StepFailed(`test directory setup failed: ${e.message}`);
    throw e;
  }
  cleanups.push(samba.cleanup);
  checkSignal();
  return samba.env;
}

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The browser tests drive Debian's Chromium through playwright-core (Playwright's own browser builds
 * cannot be downloaded here). Installed with apt when missing, as root, like Samba; SCIMD_TEST_CHROMIUM
 * names another binary; SKIP_BROWSER=1 skips the install (the browser tests then fail, saying so).
 */
async function browser() {
  const custom = process.env.SCIMD_TEST_CHROMIUM;
  if (custom) {
    if (!fs.existsSync(custom)) throw new StepFailed(`SCIMD_TEST_CHROMIUM=${custom} does not exist`);
    return { SCIMD_TEST_CHROMIUM: custom };
  }
  if (fs.existsSync(DEBIAN_CHROMIUM)) return { SCIMD_TEST_CHROMIUM: DEBIAN_CHROMIUM };
  if (truthy(process.env.SKIP_BROWSER)) {
    log('browser install skipped (SKIP_BROWSER): the browser tests will fail');
    return {};
  }
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new StepFailed(`${DEBIAN_CHROMIUM} is missing and only root can install it here. Install it `
      + '(sudo apt-get install chromium), set SCIMD_TEST_CHROMIUM to a Chromium binary, or set SKIP_BROWSER=1 (the browser tests then fail).');
  }
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new StepFailed(`${DEBIAN_CHROMIUM} is missing and apt-get is not available; install Chromium and set SCIMD_TEST_CHROMIUM`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('chromium missing; running apt-get update && apt-get install -y --no-install-recommends chromium (about a minute)…');
  if (await run('apt-get', ['update', '-q'], { env }) !== 0) {
    checkSignal();
    log('apt-get update failed; trying the install with the package lists already on this machine');
  }
  const code = await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], { env });
  checkSignal();
  if (code !== 0 || !fs.existsSync(DEBIAN_CHROMIUM)) throw new StepFailed(`apt-get install chromium failed (exit ${code}; see output above)`);
  return { SCIMD_TEST_CHROMIUM: DEBIAN_CHROMIUM };
}

async function mocha(databaseUrl, ldapEnv, extraArgs) {
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimd-test-sqlite-'));
  cleanups.push(() => fs.rmSync(sqliteDir, { recursive: true, force: true }));
  log(`SQLite test dir ${sqliteDir}`);
  log(`mocha${extraArgs.length ? ' ' + extraArgs.join(' ') : ''}…`);
  const env = { ...process.env, ...ldapEnv, TEST_DATABASE_URL: databaseUrl, SCIMD_TEST_SQLITE_DIR: sqliteDir };
  const code = await run(localBin('mocha'), extraArgs, { env });
  checkSignal();
  if (code !== 0) throw new StepFailed(`tests failed (mocha exit ${code})`, code);
  log('all tests passed');
}

// ---- main ------------------------------------------------------------------------------

let exitCode = 0;
try {
  await typecheck();
  await lint();
  const url = await database();
  const ldapEnv = await directory();
  const browserEnv = await browser();
  await mocha(url, { ...ldapEnv, ...browserEnv }, process.argv.slice(2));
} catch (e) {
  if (e instanceof StepFailed) {
    log(`FAILED: ${e.message}`);
    exitCode = e.exitCode;
  } else {
    log(`FAILED: unexpected error: ${e?.stack || e}`);
    exitCode = 1;
  }
}
await runCleanups();
process.exit(exitCode);
