import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GROUP_NAMES, populate } from './populate';
import { provisionDc, restoreDatabase, saveDatabase, startDc, stopDc, type BenchDc } from './samba';

/**
 * A running DC holding the benchmark's N users: either populated now (and then saved to the cache),
 * or a fresh provision whose database is replaced by the cached, populated one.
 *
 * Cache: `$BENCH_SYNC_CACHE_DIR`, default `<tmpdir>/scimd-bench-sync-cache/`, one folder per N
 * (`users-<N>-v<CACHE_VERSION>`: private/ of the populated DC without its TLS files, and meta.json).
 * Clear it with `rm -rf /tmp/scimd-bench-sync-cache`; `--no-cache` neither reads nor writes it.
 */
const CACHE_VERSION = 3;

export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.BENCH_SYNC_CACHE_DIR || path.join(os.tmpdir(), 'scimd-bench-sync-cache');
}

interface CacheMeta {
  readonly version: number;
  readonly users: number;
  readonly bindPassword: string;
  readonly createdAt: string;
  readonly populateSeconds: number;
}

export interface BenchDirectory {
  readonly dc: BenchDc;
  /** How the users got there. */
  readonly source: 'populated' | 'cache';
  /** Seconds spent populating (now, or when the cache was made). */
  readonly populateSeconds: number;
  /** Seconds from nothing to a DC answering with N users. */
  readonly readySeconds: number;
  readonly cacheDir: string | undefined;
}

/** Points test/support/directory.ts (TestDirectory) at the DC. */
function exportTestEnv(dc: BenchDc): void {
  Object.assign(process.env, {
    TEST_LDAP_URL: dc.url, TEST_LDAP_CA_FILE: dc.caFile, TEST_LDAP_SERVERNAME: dc.servername, TEST_LDAP_BIND_DN: dc.bindDn,
    TEST_LDAP_BIND_PASSWORD: dc.bindPassword, TEST_LDAP_BASE_DN: dc.baseDn, TEST_LDAP_THROWAWAY: '1',
  });
}

function readMeta(cacheDir: string, users: number): CacheMeta | undefined {
  try {
    const meta = JSON.parse(readFileSync(path.join(cacheDir, 'meta.json'), 'utf8')) as CacheMeta;
    if (meta.version !== CACHE_VERSION || meta.users !== users || typeof meta.bindPassword !== 'string') return undefined;
    return existsSync(path.join(cacheDir, 'private', 'sam.ldb')) ? meta : undefined;
  } catch {
    return undefined;
  }
}

export async function benchDirectory(
  users: number, cacheRoot: string | undefined, log: (message: string) => void,
): Promise<BenchDirectory> {
  const started = Date.now();
  const cacheDir = cacheRoot === undefined ? undefined : path.join(cacheRoot, `users-${users}-v${CACHE_VERSION}`);
  const meta = cacheDir === undefined ? undefined : readMeta(cacheDir, users);
  const dc = await provisionDc(log);
  try {
    if (cacheDir !== undefined && meta !== undefined) {
      log(`restoring ${users.toLocaleString('en-US')} users from the cache ${cacheDir} (made ${meta.createdAt})…`);
      await stopDc(dc);
      restoreDatabase(dc, cacheDir);
      dc.bindPassword = meta.bindPassword;
      await startDc(dc);
      exportTestEnv(dc);
      return { dc, source: 'cache', populateSeconds: meta.populateSeconds, readySeconds: (Date.now() - started) / 1000, cacheDir };
    }
    log(`populating ${users.toLocaleString('en-US')} users and ${GROUP_NAMES.length} groups: ldbadd into the stopped DC…`);
    await stopDc(dc);
    const populateStarted = Date.now();
    await populate(users, dc.baseDn, dc.dir, log);
    const populateSeconds = (Date.now() - populateStarted) / 1000;
    log(`populated in ${populateSeconds.toFixed(1)} s (${(users / populateSeconds).toFixed(0)} users/s)`);
    if (cacheDir !== undefined) {
      const copyStarted = Date.now();
      const staging = `${cacheDir}.tmp-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true, mode: 0o700 });
      saveDatabase(dc, staging);
      const saved: CacheMeta = {
        version: CACHE_VERSION, users, bindPassword: dc.bindPassword, createdAt: new Date().toISOString(), populateSeconds,
      };
      writeFileSync(path.join(staging, 'meta.json'), JSON.stringify(saved, null, 2), { mode: 0o600 });
      rmSync(cacheDir, { recursive: true, force: true });
      renameSync(staging, cacheDir);
      chmodSync(cacheDir, 0o700);
      log(`saved to the cache ${cacheDir} (${((Date.now() - copyStarted) / 1000).toFixed(1)} s); the next run at this N starts from it`);
    }
    const startStarted = Date.now();
    await startDc(dc);
    exportTestEnv(dc);
    log(`DC serving the loaded directory (started in ${((Date.now() - startStarted) / 1000).toFixed(1)} s)`);
    return { dc, source: 'populated', populateSeconds, readySeconds: (Date.now() - started) / 1000, cacheDir };
  } catch (error) {
    await dc.cleanup();
    throw error;
  }
}
