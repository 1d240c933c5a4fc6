import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time from /proc (Linux), so that a run on a busy machine still says what each request cost:
 * the bench process's main thread (where scimd and the floors run; autocannon has its own thread)
 * and the MariaDB server process, when it runs on this machine. Undefined where /proc is unavailable.
 */
const TICKS_PER_SECOND = 100;

function ticksOf(statPath: string): number | undefined {
  try {
    const stat = readFileSync(statPath, 'utf8');
    // Fields after the parenthesised command name: state is field 3; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** CPU milliseconds used so far by this process's main thread. */
export function mainThreadCpuMs(): number | undefined {
  const ticks = ticksOf(`/proc/self/task/${process.pid}/stat`);
  return ticks === undefined ? undefined : (ticks * 1000) / TICKS_PER_SECOND;
}

/**
 * Milliseconds this process's main thread has spent so far runnable but waiting for a core (the
 * second field of its schedstat): time in which it had work and the machine gave it none.
 */
export function mainThreadWaitMs(): number | undefined {
  try {
    const [, waitingNs] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/);
    const value = Number(waitingNs);
    return Number.isFinite(value) ? value / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds used so far by a process (all its threads). */
export function processCpuMs(pid: number): number | undefined {
  const ticks = ticksOf(`/proc/${pid}/stat`);
  return ticks === undefined ? undefined : (ticks * 1000) / TICKS_PER_SECOND;
}

/** Busy CPU milliseconds of the whole machine so far (all cores, every process). */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The pid of a local MariaDB/MySQL server, if one runs here. */
export function findDatabasePid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (name === 'mariadbd' || name === 'mysqld') return Number(entry);
      } catch {
        // the process ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

export interface CpuSample {
  readonly main?: number;
  readonly database?: number;
  readonly machine?: number;
  readonly process: number;
}

export function sampleCpu(databasePid: number | undefined): CpuSample {
  const usage = process.cpuUsage();
  const main = mainThreadCpuMs();
  const database = databasePid === undefined ? undefined : processCpuMs(databasePid);
  const machine = machineBusyMs();
  return {
    process: (usage.user + usage.system) / 1000,
    ...(main === undefined ? {} : { main }),
    ...(database === undefined ? {} : { database }),
    ...(machine === undefined ? {} : { machine }),
  };
}

export interface CpuCost {
  /** Main-thread (server) CPU ms per completed request. */
  readonly serverMsPerRequest?: number;
  /** MariaDB CPU ms per completed request. */
  readonly databaseMsPerRequest?: number;
  /** Average cores busy with anything but this process and MariaDB during the run. */
  readonly otherCores?: number;
}

export function costBetween(before: CpuSample, after: CpuSample, requests: number, wallMs: number): CpuCost {
  const delta = (key: 'main' | 'database' | 'machine') => {
    const a = before[key];
    const b = after[key];
    return a === undefined || b === undefined ? undefined : b - a;
  };
  const main = delta('main');
  const database = delta('database');
  const machine = delta('machine');
  const ours = after.process - before.process;
  return {
    ...(main !== undefined && requests > 0 ? { serverMsPerRequest: main / requests } : {}),
    ...(database !== undefined && requests > 0 ? { databaseMsPerRequest: database / requests } : {}),
    ...(machine !== undefined && wallMs > 0 ? { otherCores: Math.max(0, machine - ours - (database ?? 0)) / wallMs } : {}),
  };
}
