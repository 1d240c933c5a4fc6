import { spawn } from 'node:child_process';
import path from 'node:path';
import { RESULT_PREFIX, type ChildJob, type ChildResult } from './protocol';
import { cpuOf, machineBusySeconds } from './cpu';
import { launcherNodeFlags } from './launcher-flags';

/** CPU spent during a phase, in seconds, by who spent it. */
export interface PhaseCpu {
  readonly wallSeconds: number;
  /** The process doing the work: the sync child, or this process for the floor reads. */
  readonly worker: number;
  readonly database: number;
  readonly samba: number;
  /** Average cores busy with anything else (another benchmark, a test run…). */
  readonly otherCores: number | undefined;
}

/** Starts measuring; the returned function ends the phase (workerCpu: the child's own CPU seconds, if any). */
export function startPhase(databasePid: number | undefined, sambaPids: readonly number[]): (workerCpu?: number) => PhaseCpu {
  const wallStart = performance.now();
  const machineStart = machineBusySeconds();
  const selfStart = process.cpuUsage();
  const databaseStart = databasePid === undefined ? 0 : cpuOf([databasePid]);
  const sambaStart = cpuOf(sambaPids);
  return (workerCpu) => {
    const wallSeconds = (performance.now() - wallStart) / 1000;
    const self = process.cpuUsage(selfStart);
    const selfSeconds = (self.user + self.system) / 1e6;
    const database = databasePid === undefined ? 0 : cpuOf([databasePid]) - databaseStart;
    const samba = cpuOf(sambaPids) - sambaStart;
    const worker = workerCpu ?? selfSeconds;
    const machineEnd = machineBusySeconds();
    const others = machineStart === undefined || machineEnd === undefined ? undefined
      : Math.max(0, machineEnd - machineStart - worker - (workerCpu === undefined ? 0 : selfSeconds) - database - samba);
    return { wallSeconds, worker, database, samba, otherCores: others === undefined ? undefined : others / wallSeconds };
  };
}

/**
 * Runs one sync in a child process (`node <bin/scimd.js's flags> --import tsx bench/sync/child.ts`): its VmHWM is the sync's
 * peak RSS, not the harness's. Resolves with what the child reported.
 */
export async function runSyncProcess(
  job: ChildJob, options: { cpuProf?: string; nodeFlags?: readonly string[]; log: (message: string) => void },
): Promise<ChildResult> {
  const root = path.resolve(__dirname, '..', '..');
  const args = [
    ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProf] : []),
    ...(job.liveHeap ? ['--expose-gc'] : []),
    ...launcherNodeFlags(root),
    // After the launcher's, so that --node-flags can override them (node takes the last).
    ...(options.nodeFlags ?? []),
    '--import', 'tsx', path.join('bench', 'sync', 'child.ts'),
  ];
  return new Promise<ChildResult>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCIMD_BENCH_SYNC_JOB: JSON.stringify(job) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`the sync process exited ${code}:\n${stderr.trim().slice(-2000)}`));
        return;
      }
      if (stderr.trim() !== '') options.log(stderr.trim());
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult);
    });
  });
}
