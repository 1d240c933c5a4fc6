import { findDatabasePid, machineBusyMs, processCpuMs } from '../cpu';

/**
 * CPU time from /proc (Linux), in seconds, to say where a sync phase's time went: the sync process,
 * MariaDB, Samba, and anything else on the machine. The readings themselves live in bench/cpu.ts.
 */
export { findDatabasePid };

/** CPU seconds used so far by a process (all threads); undefined once it is gone or without /proc. */
export function processCpuSeconds(pid: number): number | undefined {
  const ms = processCpuMs(pid);
  return ms === undefined ? undefined : ms / 1000;
}

/** Busy CPU seconds of the whole machine so far (all cores). */
export function machineBusySeconds(): number | undefined {
  const ms = machineBusyMs();
  return ms === undefined ? undefined : ms / 1000;
}

/** Sum of the CPU seconds of some processes (those still running). */
export function cpuOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0);
}
