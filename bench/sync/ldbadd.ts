import { spawn } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { machineBusySeconds, processCpuSeconds } from './cpu';

/**
 * Adds LDIF to a stopped DC's database with `ldbadd` (Debian package ldb-tools), which opens
 * private/sam.ldb through Samba's own module stack: objectGUID, objectSid, uSNCreated/uSNChanged,
 * sAMAccountType, replication metadata, and the backlinks of linked attributes (memberOf,
 * directReports) are made exactly as for an add over LDAP.
 *
 * Why not over LDAP: each add there is a transaction that rewrites the index lists holding every
 * object with a common value (objectClass=user, the parent OU, primaryGroupID…), so an add costs in
 * proportion to the directory's size: 5,000-user chunks went from ~350 users/s (the first) to ~50
 * (the tenth). Here all adds are one transaction in ldb's batch mode, which skips the per-add nested
 * transaction (whose commit copies those same lists: without batch mode a local load is slower than
 * LDAP) and writes each index list once at the end.
 */

/** The index cache's hash size: Samba's provision uses 202481 for a 100,000-user database; ~2 per user. */
function indexCacheSize(users: number): number {
  return Math.max(10_007, 2 * users + 1);
}

export interface LoadResult {
  readonly added: number;
  readonly seconds: number;
  /** ldbadd's CPU seconds (sampled every 500 ms from /proc: the last half second may be missing); undefined without /proc. */
  readonly cpuSeconds: number | undefined;
  /** CPU seconds of this process meanwhile (writing the LDIF). */
  readonly writerCpuSeconds: number;
  /** Average cores busy with anything else meanwhile (the machine may be shared). */
  readonly otherCores: number | undefined;
}

/**
 * Streams `ldif` (chunks) into `ldbadd` on `<dcDir>/private/sam.ldb`; resolves once it committed all
 * `expected` entries. ldbadd exits 0 even when an add failed (it reports it on stderr), so success is
 * its "Added N records" count matching and no "ERR:" line.
 */
export async function ldbadd(dcDir: string, ldif: Iterable<string>, expected: number, users: number): Promise<LoadResult> {
  const started = performance.now();
  const child = spawn('ldbadd', [
    '-H', path.join(dcDir, 'private', 'sam.ldb'),
    `--configfile=${path.join(dcDir, 'etc', 'smb.conf')}`,
    '--nosync',
    '-o', 'batch_mode:1',
    '-o', `transaction_index_cache_size:${indexCacheSize(users)}`,
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  const machineStart = machineBusySeconds();
  const selfStart = process.cpuUsage();
  let cpuSeconds: number | undefined;
  const sampleCpu = (): void => {
    const now = child.pid === undefined ? undefined : processCpuSeconds(child.pid);
    if (now !== undefined) cpuSeconds = now;
  };
  const sampler = setInterval(sampleCpu, 500);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
  child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-8_000); });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT'
      ? new Error('ldbadd is not installed (Debian package ldb-tools; npm run bench:sync installs it when run as root)')
      : error));
    child.on('exit', sampleCpu);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => clearInterval(sampler));
  try {
    await pipeline(Readable.from(ldif), child.stdin);
  } catch (error) {
    // ldbadd stopped reading (it failed): its exit and stderr say why, below.
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited.catch(() => undefined);
    throw new Error(`ldbadd stopped reading its input (${String(error)}): ${stderr.trim() || stdout.trim()}`);
  }
  const code = await exited;
  const added = Number(/Added (\d+) records successfully/.exec(stdout)?.[1] ?? -1);
  if (code !== 0 || added !== expected || /^ERR/m.test(stderr)) {
    throw new Error(`ldbadd failed (exit ${code}, added ${added} of ${expected}): ${stderr.trim().slice(-2_000) || stdout.trim()}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const machineEnd = machineBusySeconds();
  const self = process.cpuUsage(selfStart);
  const writerCpuSeconds = (self.user + self.system) / 1e6;
  const otherCores = machineStart === undefined || machineEnd === undefined || cpuSeconds === undefined
    ? undefined : Math.max(0, machineEnd - machineStart - cpuSeconds - writerCpuSeconds) / seconds;
  return { added, seconds, cpuSeconds, writerCpuSeconds, otherCores };
}
