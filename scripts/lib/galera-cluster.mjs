// A throw-away three-node MariaDB Galera cluster on loopback, for the cluster suite
// (`npm run test:cluster`) and the cluster benchmark (`npm run bench:cluster`).
//
// Each node is its own `mariadbd` process with its own loopback address and ports (node N of an
// address set 127.0.0.<S>N: SQL on 331N, group communication on 456N, incremental state transfer
// on 457N, full state transfer (rsync) on 458N), its own data directory in a fresh temporary folder
// owned by the mysql user (mariadbd runs as mysql and must write its socket and pid file there),
// and no option files (--no-defaults), so nothing in /etc/mysql changes what runs.
//
// Order: node 1 bootstraps a new cluster (gcomm:// empty), the others join it one at a time (a
// joiner receives a full copy from a donor; two at once would queue on the one donor anyway).
// Stop: SIGTERM to each node's own PID, the joiners first, waiting for each to exit.
// With `standalone`, a fourth server with the same settings but no Galera (127.0.0.<S>0:3310) is
// started beside the cluster, as the one-server baseline of the benchmark.
// See docs/testing.md ("The cluster suite").

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

export class GaleraSetupError extends Error {}

const MARIADBD = '/usr/sbin/mariadbd';
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const NODES = 3;
/** Third octets tried in turn: a second cluster (another checkout) moves to the next set of addresses. */
const ADDRESS_SETS = [1, 2, 3, 4];
/** Seconds a node may take to join (measured: under 12 s each on an idle 2-core machine). */
const JOIN_SECONDS = Number(process.env.SCIMD_TEST_GALERA_WAIT || 90);
const STOP_SECONDS = 30;
/** A node still joining (receiving its copy) ignores SIGTERM until the transfer ends: its data is a throw-away anyway. */
const STOP_JOINING_SECONDS = 3;
/** The account scimd connects as: test-only, on a cluster bound to loopback that lives for one run. */
const APP_USER = 'scimd_cluster';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function nodeAddress(set, index) {
  return { host: `127.0.0.${set}${index}`, port: 3310 + index, gcomm: 4560 + index, ist: 4570 + index, sst: 4580 + index };
}

function portTaken(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

async function freeAddressSet() {
  for (const set of ADDRESS_SETS) {
    let taken = false;
    for (let index = 0; index <= NODES && !taken; index++) { // 0: the standalone server's place
      const node = nodeAddress(set, index);
      for (const port of [node.port, node.gcomm, node.ist, node.sst]) if (await portTaken(node.host, port)) taken = true;
    }
    if (!taken) return set;
  }
  throw new GaleraSetupError(`every address set (127.0.0.{${ADDRESS_SETS.join(',')}}0-3, ports 3310-3313, 4560-4583) is in use; `
    + 'stop the other cluster (see docs/testing.md)');
}

function runCommand(cmd, args, { env = process.env, logFile } = {}) {
  return new Promise((resolve) => {
    const out = logFile ? fs.openSync(logFile, 'a') : 'inherit';
    const child = spawn(cmd, args, { stdio: ['ignore', out, out], env });
    const done = (code) => {
      if (logFile) fs.closeSync(out);
      resolve(code);
    };
    child.once('error', () => done(-1));
    child.once('close', (code) => done(code ?? 1));
  });
}

function mysqlIds() {
  const entry = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('mysql:'));
  if (!entry) throw new GaleraSetupError('there is no mysql user (is mariadb-server installed?)');
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function chownTree(dir, { uid, gid }) {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(child, { uid, gid });
    else fs.chownSync(child, uid, gid);
  }
}

function tail(file, lines = 25) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Installs Debian's galera-4 when the provider library is missing (as root, like the harness's other packages). */
async function ensureGalera(log) {
  if (fs.existsSync(GALERA_PROVIDER) && fs.existsSync(MARIADBD)) return;
  const packages = [...(fs.existsSync(MARIADBD) ? [] : ['mariadb-server']), 'galera-4', 'rsync'];
  if (!isRoot()) {
    throw new GaleraSetupError(`${GALERA_PROVIDER} or ${MARIADBD} is missing and this is not root: `
      + `install them (sudo apt-get install ${packages.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing ${packages.join(' ')} with apt-get…`);
  if (await runCommand('apt-get', ['update', '-q'], { env }) !== 0) {
    log('apt-get update failed; trying the install with the package lists already on this machine');
  }
  if (await runCommand('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env }) !== 0
    || !fs.existsSync(GALERA_PROVIDER)) {
    throw new GaleraSetupError(`apt-get install ${packages.join(' ')} failed (see output above)`);
  }
}

/**
 * A cluster that is not started yet. Register `stop()` for cleanup before `start()`, so that an
 * interrupted start still stops the nodes already running and removes the folder.
 */
export function createGaleraCluster({ log, standalone = false }) {
  const processes = [];
  /** The processes that reached Synced (or, standalone, answered). */
  const up = new Set();
  let dir;
  let nodes = [];
  const database = `scimd_cluster_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('hex');

  /** Index 0 is the standalone server: the same settings without wsrep. */
  function nodeArgs(node, index, bootstrap) {
    const nodeDir = path.join(dir, `node${index}`);
    const members = nodes.map((other) => `${other.host}:${other.gcomm}`).join(',');
    const common = [
      '--no-defaults', '--user=mysql', `--datadir=${path.join(nodeDir, 'data')}`,
      `--socket=${path.join(nodeDir, 'mysqld.sock')}`, `--pid-file=${path.join(nodeDir, 'mysqld.pid')}`,
      `--log-error=${path.join(nodeDir, 'error.log')}`, `--tmpdir=${nodeDir}`,
      `--bind-address=${node.host}`, `--port=${node.port}`, '--skip-name-resolve',
      // Small buffers: three servers share a small machine with the tests.
      '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=32M', '--performance-schema=OFF', '--max-connections=200',
    ];
    if (index === 0) return common;
    return [
      ...common,
      // What Galera requires of every node.
      '--binlog-format=ROW', '--default-storage-engine=InnoDB', '--innodb-autoinc-lock-mode=2',
      '--wsrep-on=ON', `--wsrep-provider=${GALERA_PROVIDER}`, `--wsrep-cluster-name=${path.basename(dir)}`,
      `--wsrep-node-name=node${index}`, `--wsrep-node-address=${node.host}:${node.gcomm}`,
      `--wsrep-provider-options=gmcast.listen_addr=tcp://${node.host}:${node.gcomm};ist.recv_addr=${node.host}:${node.ist};gcache.size=64M`,
      `--wsrep-sst-receive-address=${node.host}:${node.sst}`, '--wsrep-sst-method=rsync',
      ...(bootstrap ? ['--wsrep-new-cluster', '--wsrep-cluster-address=gcomm://'] : [`--wsrep-cluster-address=gcomm://${members}`]),
    ];
  }

  /** Waits until the standalone server answers on its socket. */
  async function waitAnswering(shouldAbort) {
    const deadline = Date.now() + JOIN_SECONDS * 1000;
    const child = processes[processes.length - 1];
    while (Date.now() < deadline) {
      if (shouldAbort()) throw new GaleraSetupError('interrupted');
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new GaleraSetupError(`the standalone server exited while starting:\n${tail(path.join(dir, 'node0', 'error.log'))}`);
      }
      try {
        await (await connectRoot(0)).end();
        return;
      } catch {
        await sleep(250);
      }
    }
    throw new GaleraSetupError(`the standalone server did not answer within ${JOIN_SECONDS}s:\n${tail(path.join(dir, 'node0', 'error.log'))}`);
  }

  async function createDatabase(index) {
    const conn = await connectRoot(index);
    try {
      await conn.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
      await conn.query(`CREATE USER '${APP_USER}'@'%' IDENTIFIED BY '${password}'`);
      await conn.query(`GRANT ALL ON \`${database}\`.* TO '${APP_USER}'@'%'`);
    } finally {
      await conn.end();
    }
  }

  const urlOf = (node) => `mysql://${APP_USER}:${password}@${node.host}:${node.port}/${database}`;

  async function connectRoot(index) {
    return mysql.createConnection({ socketPath: path.join(dir, `node${index}`, 'mysqld.sock'), user: 'root', connectTimeout: 2000 });
  }

  /** Waits until node `index` is a synced member of a cluster of `size`, or fails with its log. */
  async function waitSynced(index, size, shouldAbort) {
    const deadline = Date.now() + JOIN_SECONDS * 1000;
    const child = processes[index - 1];
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (shouldAbort()) throw new GaleraSetupError('interrupted');
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new GaleraSetupError(`node ${index} exited while starting; last lines of its log:\n${tail(path.join(dir, `node${index}`, 'error.log'))}`);
      }
      try {
        const conn = await connectRoot(index);
        try {
          const [rows] = await conn.query("SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')");
          const status = Object.fromEntries(rows.map((row) => [row.Variable_name, row.Value]));
          last = `state ${status.wsrep_local_state_comment}, cluster size ${status.wsrep_cluster_size}, ready ${status.wsrep_ready}`;
          if (status.wsrep_local_state_comment === 'Synced' && Number(status.wsrep_cluster_size) === size && status.wsrep_ready === 'ON') return;
        } finally {
          await conn.end().catch(() => {});
        }
      } catch (error) {
        last = error.code || error.message;
      }
      await sleep(250);
    }
    throw new GaleraSetupError(`node ${index} did not join within ${JOIN_SECONDS}s (${last}); last lines of its log:\n`
      + tail(path.join(dir, `node${index}`, 'error.log')));
  }

  async function start({ shouldAbort = () => false } = {}) {
    if (!isRoot()) throw new GaleraSetupError('the Galera cluster needs root (mariadbd switches to the mysql user); run as root');
    await ensureGalera(log);
    const set = await freeAddressSet();
    nodes = Array.from({ length: NODES }, (_, i) => nodeAddress(set, i + 1));
    const ids = mysqlIds();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimd-galera-'));
    log(`Galera cluster in ${dir} on ${nodes.map((node) => `${node.host}:${node.port}`).join(', ')}`);
    for (let index = standalone ? 0 : 1; index <= NODES; index++) fs.mkdirSync(path.join(dir, `node${index}`, 'data'), { recursive: true });
    chownTree(dir, ids); // mariadb-install-db and mariadbd run as mysql
    // One system schema, copied: the joiners' data is replaced by the donor's copy when they join anyway.
    const installLog = path.join(dir, 'install-db.log');
    const code = await runCommand('mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${path.join(dir, 'node1', 'data')}`,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--cross-bootstrap'], { logFile: installLog, env: { ...process.env, TMPDIR: '' } });
    if (code !== 0) throw new GaleraSetupError(`mariadb-install-db failed (exit ${code}):\n${tail(installLog)}`);
    for (let index = standalone ? 0 : 2; index <= NODES; index++) if (index !== 1) fs.cpSync(path.join(dir, 'node1', 'data'), path.join(dir, `node${index}`, 'data'), { recursive: true });
    chownTree(dir, ids);

    for (let index = 1; index <= NODES; index++) {
      if (shouldAbort()) throw new GaleraSetupError('interrupted');
      const child = spawn(MARIADBD, nodeArgs(nodes[index - 1], index, index === 1), { stdio: 'ignore' });
      child.once('error', (error) => log(`node ${index}: ${error.message}`));
      processes.push(child);
      await waitSynced(index, index, shouldAbort);
      up.add(child);
      log(`node ${index} synced (cluster size ${index})`);
    }

    // Created on node 1, replicated to the others (DDL and account changes run on every node in order).
    await createDatabase(1);
    let standaloneUrl;
    if (standalone) {
      const single = nodeAddress(set, 0);
      processes.push(spawn(MARIADBD, nodeArgs(single, 0, false), { stdio: 'ignore' }));
      await waitAnswering(shouldAbort);
      up.add(processes[processes.length - 1]);
      await createDatabase(0);
      standaloneUrl = urlOf(single);
      log(`standalone server ready on ${single.host}:${single.port}`);
    }
    return {
      dir,
      database,
      /** One URL per node, in node order: replica i writes through node i. */
      urls: nodes.map(urlOf),
      /** With `standalone`: the server without Galera. */
      standaloneUrl,
    };
  }

  /** Stops the nodes (joiners first, each with SIGTERM and a wait for its exit) and removes the folder. */
  async function stop() {
    for (const [i, child] of [...processes.entries()].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const seconds = up.has(child) ? STOP_SECONDS : STOP_JOINING_SECONDS;
      const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), seconds * 1000).unref());
      if (await Promise.race([exited, timer]) === 'timeout') {
        log(`mariadbd ${i + 1} (pid ${child.pid}) did not stop within ${seconds}s of SIGTERM; sending SIGKILL`);
        child.kill('SIGKILL');
        await exited;
      }
    }
    processes.length = 0;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }

  return { start, stop };
}
