// Runs one command (mocha for `npm run test:cluster`, the benchmark for `npm run bench:cluster`)
// against a throw-away Galera cluster, and the Samba test directory when asked, then stops them,
// also when the run is interrupted (SIGINT, SIGTERM, SIGHUP): the nodes get SIGTERM, their folder
// is removed. The command gets TEST_CLUSTER_URLS: one database URL per node, separated by spaces;
// with `singleServer`, also TEST_SINGLE_URL: a database on a MariaDB server with the nodes' settings
// but without Galera, started beside them, for comparisons with one server.

import { spawn } from 'node:child_process';
import os from 'node:os';
import { createGaleraCluster, GaleraSetupError } from './galera-cluster.mjs';
import { ensureTestDirectory, SambaSetupError } from './ensure-samba.mjs';

const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function runWithCluster({ name, samba, singleServer = false, command, args }) {
  const log = (msg) => process.stderr.write(`[${name}] ${msg}\n`);
  const cleanups = [];
  let child = null;
  let signalled = null;
  const onSignal = (sig) => {
    if (signalled) return;
    signalled = sig;
    log(`${sig} received, stopping…`);
    if (child) child.kill(sig);
  };
  for (const sig of Object.keys(SIGNAL_CODES)) process.on(sig, onSignal);
  const shouldAbort = () => signalled !== null;

  let exitCode = 0;
  try {
    const cluster = createGaleraCluster({ log, standalone: singleServer });
    cleanups.push(() => cluster.stop());
    const started = await cluster.start({ shouldAbort });
    let extraEnv = started.standaloneUrl ? { TEST_SINGLE_URL: started.standaloneUrl } : {};
    if (samba) {
      log('starting the test directory (Samba AD DC)…');
      const directory = await ensureTestDirectory({ log, shouldAbort });
      cleanups.push(directory.cleanup);
      extraEnv = { ...extraEnv, ...directory.env };
    }
    if (signalled) throw new GaleraSetupError(`interrupted by ${signalled}`);
    log(`${command} ${args.join(' ')}…`);
    const env = { ...process.env, ...extraEnv, TEST_CLUSTER_URLS: started.urls.join(' ') };
    exitCode = await new Promise((resolve) => {
      child = spawn(command, args, { stdio: 'inherit', env });
      child.once('error', (error) => {
        log(`could not run ${command}: ${error.message}`);
        resolve(1);
      });
      child.once('close', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
    });
    child = null;
    if (exitCode !== 0) log(`FAILED: ${command} exited ${exitCode}`);
  } catch (error) {
    if (error instanceof GaleraSetupError || error instanceof SambaSetupError) log(`FAILED: ${error.message}`);
    else log(`FAILED: unexpected error: ${error?.stack || error}`);
    exitCode = 1;
  }
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (error) {
      log(`cleanup failed: ${error.message}`);
    }
  }
  return signalled ? SIGNAL_CODES[signalled] : exitCode;
}
