import { spawn } from 'node:child_process';
import { cpSync, existsSync, lstatSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'ldapts';

/**
 * A throw-away Samba AD DC for the sync benchmark, on loopback. Provisioning, the choice of a free
 * loopback address, TLS files, the relaxed password policy and the final cleanup are those of
 * `npm test` (scripts/lib/ensure-samba.mjs, `ensureTestDirectory`). The two things it has no export
 * for, and that this wrapper adds, are stopping the DC while keeping its directory (to load the users
 * into its database, and to copy that database into the cache) and starting it again.
 */

/** What scripts/lib/ensure-samba.mjs exports (a JavaScript module: typed here). */
interface EnsureSambaModule {
  ensureTestDirectory(options: { log: (message: string) => void; shouldAbort?: () => boolean; extraPackages?: readonly string[] }): Promise<{
    host: string | null;
    cleanup: () => Promise<void>;
    env: Readonly<Record<string, string>>;
  }>;
  claimFreeHost(smbConf: string, preferred: string): Promise<string>;
  readonly BASE_DN: string;
  readonly BIND_DN: string;
  readonly SERVERNAME: string;
}

async function ensureSambaModule(): Promise<EnsureSambaModule> {
  const file = path.resolve(__dirname, '..', '..', 'scripts', 'lib', 'ensure-samba.mjs');
  return await import(pathToFileURL(file).href) as EnsureSambaModule;
}

export interface BenchDc {
  /** ldaps://host:636 (the host can change when the DC is started again: see startDc) */
  url: string;
  host: string;
  /** The DC's directory (smb.conf, private/, pid/…). */
  readonly dir: string;
  readonly caFile: string;
  readonly servername: string;
  readonly bindDn: string;
  bindPassword: string;
  readonly baseDn: string;
  /** Stops the DC and removes its directory (ensure-samba's cleanup). */
  cleanup(): Promise<void>;
}

/** Provisions and starts a fresh, empty DC (`ensureTestDirectory`, ignoring any TEST_LDAP_URL). */
export async function provisionDc(log: (message: string) => void): Promise<BenchDc> {
  const samba = await ensureSambaModule();
  const supplied = process.env.TEST_LDAP_URL;
  // The benchmark populates and then discards its DC: never a directory someone pointed TEST_LDAP_URL at.
  delete process.env.TEST_LDAP_URL;
  let started: Awaited<ReturnType<EnsureSambaModule['ensureTestDirectory']>>;
  try {
    // ldb-tools: ldbadd, which populate.ts loads the directory with.
    started = await samba.ensureTestDirectory({ log, extraPackages: ['ldb-tools'] });
  } finally {
    if (supplied !== undefined) process.env.TEST_LDAP_URL = supplied;
  }
  const env = started.env;
  const caFile = env.TEST_LDAP_CA_FILE;
  const url = env.TEST_LDAP_URL;
  const password = env.TEST_LDAP_BIND_PASSWORD;
  if (!caFile || !url || !password || !started.host) {
    await started.cleanup();
    throw new Error('ensureTestDirectory did not describe the DC it started (TEST_LDAP_URL/CA_FILE/BIND_PASSWORD)');
  }
  return {
    url, host: started.host, caFile, dir: path.resolve(caFile, '..', '..', '..'),
    servername: env.TEST_LDAP_SERVERNAME ?? samba.SERVERNAME, bindDn: env.TEST_LDAP_BIND_DN ?? samba.BIND_DN,
    bindPassword: password, baseDn: env.TEST_LDAP_BASE_DN ?? samba.BASE_DN, cleanup: started.cleanup,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sambaPid(dc: BenchDc): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dc.dir, 'pid', 'samba.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Stops the DC (TERM to the pid in its pid file: the samba this benchmark started) and keeps its directory. */
export async function stopDc(dc: BenchDc): Promise<void> {
  const pid = sambaPid(dc);
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
  if (alive(pid)) throw new Error(`Samba (pid ${pid}) did not stop within 30 s after SIGTERM`);
}

function logTail(dc: BenchDc, lines = 15): string {
  try {
    return readFileSync(path.join(dc.dir, 'log', 'samba.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no samba.log)';
  }
}

/** Starts samba; resolves when it answers a verified LDAPS bind, 'address-taken' if another server holds its address. */
async function startOnce(dc: BenchDc): Promise<'started' | 'address-taken'> {
  const smbConf = path.join(dc.dir, 'etc', 'smb.conf');
  rmSync(path.join(dc.dir, 'pid', 'samba.pid'), { force: true });
  const code = await new Promise<number>((resolve) => {
    const child = spawn('samba', ['-s', smbConf, '-D'], { stdio: 'ignore' });
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`samba -s ${smbConf} -D failed (exit ${code}):\n${logTail(dc)}`);
  let lastError: unknown;
  for (let i = 0; i < 600; i++) {
    const pid = sambaPid(dc);
    if (pid !== undefined && !alive(pid)) {
      const log = logTail(dc);
      if (log.includes('ADDRESS_ALREADY_ASSOCIATED')) return 'address-taken';
      throw new Error(`samba (pid ${pid}) exited after starting:\n${log}`);
    }
    const client = new Client({
      url: dc.url, connectTimeout: 2000, timeout: 5000,
      tlsOptions: { ca: readFileSync(dc.caFile), servername: dc.servername, minVersion: 'TLSv1.2' },
    });
    try {
      await client.bind(dc.bindDn, dc.bindPassword);
      return 'started';
    } catch (error) {
      lastError = error;
    } finally {
      await client.unbind().catch(() => undefined);
    }
    await sleep(100);
  }
  throw new Error(`Samba did not answer verified LDAPS on ${dc.url} within 60 s: ${String(lastError)}`);
}

/**
 * Starts the (stopped) DC again and waits until a verified LDAPS bind succeeds. While it was stopped another
 * DC (a test run, another benchmark) may have taken its loopback address: it then moves to a free one
 * (`dc.host` and `dc.url` change; the certificate names DC1.example.test, not the address).
 */
export async function startDc(dc: BenchDc): Promise<void> {
  const samba = await ensureSambaModule();
  for (let attempt = 1; attempt <= 3; attempt++) {
    const host = await samba.claimFreeHost(path.join(dc.dir, 'etc', 'smb.conf'), dc.host);
    if (host !== dc.host) {
      dc.host = host;
      dc.url = `ldaps://${host}:636`;
    }
    if (await startOnce(dc) === 'started') return;
  }
  throw new Error(`Samba could not keep a loopback address: another server took it three times while it started`);
}

/** The samba processes of this DC (the master and its workers), for memory figures. */
export function dcProcesses(dc: BenchDc): number[] {
  const master = sambaPid(dc);
  if (master === undefined) return [];
  const pids = [master];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (pids.includes(ppid)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/**
 * The DC's database files: everything in private/ but the TLS files, which a fresh provision makes
 * anew (they are valid for 7 days only, so cached ones would expire).
 */
function databaseEntries(privateDir: string): string[] {
  return readdirSync(privateDir).filter((name) => name !== 'tls');
}

/** Copies files and folders; sockets (ldapi) are left out: Samba makes them when it starts. */
function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, preserveTimestamps: true, filter: (source) => !lstatSync(source).isSocket() });
}

/** Copies the stopped DC's database into `cacheDir` (replacing what is there). */
export function saveDatabase(dc: BenchDc, cacheDir: string): void {
  const target = path.join(cacheDir, 'private');
  rmSync(target, { recursive: true, force: true });
  const source = path.join(dc.dir, 'private');
  for (const name of databaseEntries(source)) copyTree(path.join(source, name), path.join(target, name));
}

/** Replaces the stopped DC's database with the one saved in `cacheDir`. */
export function restoreDatabase(dc: BenchDc, cacheDir: string): void {
  const source = path.join(cacheDir, 'private');
  if (!existsSync(source)) throw new Error(`${source} does not exist`);
  const target = path.join(dc.dir, 'private');
  for (const name of databaseEntries(target)) rmSync(path.join(target, name), { recursive: true, force: true });
  for (const name of databaseEntries(source)) copyTree(path.join(source, name), path.join(target, name));
}
