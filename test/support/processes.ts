import fs from 'node:fs';
import os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/**
 * Runs the real `scimd` command line (bin/scimd.js through `process.execPath`) as a child process,
 * the way an operator or `npm start` would. Every child is tracked so that `killStrayProcesses()`
 * (call it from an `afterEach`/`after` hook) stops whatever a failing test left running.
 */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SCIMD_BIN = path.join(REPO_ROOT, 'bin', 'scimd.js');

/**
 * Variables that configure scimd (and its TypeScript loader). They are removed from the inherited
 * environment so the developer's shell cannot change what a test runs; tests set what they need.
 */
const SCIMD_VARIABLES = [
  'HOST', 'PORT', 'PUBLIC_URL', 'DATABASE_URL', 'DATABASE_URL_FILE', 'MIGRATE_ON_START', 'LOG_LEVEL',
  'MAX_BODY_BYTES', 'SHUTDOWN_TIMEOUT_MS', 'TSX_TSCONFIG_PATH',
  'RATE_LIMIT_RPS', 'RATE_LIMIT_BURST', 'RATE_LIMIT_ADDRESS_RPS', 'RATE_LIMIT_ADDRESS_BURST', 'TRUSTED_PROXIES',
];

export type EnvOverrides = Readonly<Record<string, string | undefined>>;

export interface RunOptions {
  /** Added to the cleaned environment; `undefined` removes a variable. */
  readonly env?: EnvOverrides;
  /** Working directory of the child (default: the repository root, as `npm run scimd` has). */
  readonly cwd?: string;
  /** The child is killed and the promise rejected after this long (default 30 s). */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Running children with the sequence number of their spawn. */
const live = new Map<ChildProcess, number>();
let spawned = 0;

/** The parent's environment without scimd's variables, plus `overrides`. */
export function childEnv(overrides: EnvOverrides = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCIMD_VARIABLES) delete env[name];
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

function spawnScimd(args: readonly string[], options: RunOptions): ChildProcess {
  const child = spawn(process.execPath, [SCIMD_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.set(child, ++spawned);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** A finished run's exit code and output, for an assertion's message. */
export function explain(result: RunResult): string {
  return `exit ${String(result.code)}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

function describeRun(args: readonly string[], stdout: string, stderr: string): string {
  return `scimd ${args.join(' ')}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
}

/** Runs `scimd <args>` to completion and collects its output and exit code. */
export function runScimd(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawnScimd(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs} ms: ${describeRun(args, stdout, stderr)}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' (not 'exit') so that all output has been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A mark for `killStrayProcesses(since)`: children spawned after this call. */
export function processMark(): number {
  return spawned;
}

/**
 * Kills (SIGKILL) every scimd child that is still running, or only those spawned after `since`
 * (a `processMark()`, so that an afterEach spares a server its describe block started in `before`).
 */
export async function killStrayProcesses(since = 0): Promise<void> {
  const children = [...live].filter(([, sequence]) => sequence > since).map(([child]) => child);
  await Promise.all(children.map((child) => new Promise<void>((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    // A deadline for the exit event, not a pause: a child that outlives SIGKILL is reported, not left behind quietly.
    const timer = setTimeout(() => reject(new Error(`scimd child ${String(child.pid)} did not exit within 5 s of SIGKILL`)), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGKILL');
  })));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export interface ServeOptions extends RunOptions {
  /**
   * What to wait for before resolving: `ready` (default) = /readyz answers 200,
   * `live` = /livez answers 200 (for servers that are up but must not be ready yet).
   */
  readonly waitFor?: 'ready' | 'live';
}

function parseLogLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.filter((line) => line.trim() !== '').map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`stdout line is not JSON: ${line}`);
    }
  });
}

/** A `scimd serve` child on a free loopback port. */
export class ServeProcess {
  private out = '';
  private err = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess, readonly port: number) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { this.out += chunk; });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { this.err += chunk; });
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The JSON log lines on stdout; a line that is not JSON makes this throw (logs must be JSON lines). */
  logLines(): Record<string, unknown>[] {
    return parseLogLines(this.out.split('\n'));
  }

  /**
   * Resolves with the first log line that `matches` as soon as stdout delivers it (lines already
   * written count). Rejects when the process exits without writing one, or after `timeoutMs`.
   */
  waitForLog(what: string, matches: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const stdout = this.child.stdout;
    return new Promise((resolve, reject) => {
      const cleanUp = (): void => {
        clearTimeout(timer);
        stdout?.off('data', onData);
        this.child.off('close', onClose);
      };
      const onData = (): void => {
        // Only whole lines: the last piece may still be arriving.
        let found: Record<string, unknown> | undefined;
        try {
          found = parseLogLines(this.out.split('\n').slice(0, -1)).find(matches);
        } catch (error) {
          cleanUp();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (found === undefined) return;
        cleanUp();
        resolve(found);
      };
      const onClose = (): void => {
        onData();
        cleanUp();
        reject(new Error(`scimd serve exited without logging ${what}\n${this.describe()}`));
      };
      const timer = setTimeout(() => {
        cleanUp();
        reject(new Error(`scimd serve did not log ${what} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      // Registered after the constructor's listener, so `this.out` already holds the new chunk.
      stdout?.on('data', onData);
      this.child.once('close', onClose);
      onData();
    });
  }

  /** Output for failure messages. */
  describe(): string {
    return `--- serve stdout ---\n${this.out}\n--- serve stderr ---\n${this.err}`;
  }

  /** Resolves with the exit status, or rejects if the process is still running after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`scimd serve did not exit within ${timeoutMs} ms\n${this.describe()}`)), timeoutMs);
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** Sends a signal (SIGTERM by default) and waits for the exit; SIGKILLs after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    try {
      return await this.waitForExit(timeoutMs);
    } catch (error) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw error;
    }
  }

  /** Polls `path` until it answers 200; rejects with the server output when it exits or time runs out. */
  async waitFor(pathname: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`scimd serve exited (code ${String(this.child.exitCode)}) before ${pathname} answered 200\n${this.describe()}`);
      try {
        const response = await fetch(`${this.baseUrl}${pathname}`, { signal: AbortSignal.timeout(2_000) });
        const body = await response.text();
        if (response.status === 200) return;
        last = `${response.status} ${body}`;
      } catch (error) {
        last = (error as Error).message;
      }
      // Readiness is a state, not an event, so it is polled; an exit ends the pause at once.
      let pause: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise((resolve) => { pause = setTimeout(resolve, 100); })]);
      clearTimeout(pause);
    }
    throw new Error(`${pathname} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${this.describe()}`);
  }
}

/**
 * Starts `scimd serve` with PORT set to a free port (HOST 127.0.0.1) and waits for /readyz 200
 * (or /livez with `waitFor: 'live'`). A server that fails to come up is killed before this rejects.
 */
export async function startServe(options: ServeOptions = {}): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawnScimd(['serve'], { ...options, env: { HOST: '127.0.0.1', ...options.env, PORT: String(port) } });
  const serve = new ServeProcess(child, port);
  try {
    await serve.waitFor(options.waitFor === 'live' ? '/livez' : '/readyz', options.timeoutMs ?? 30_000);
  } catch (error) {
    if (serve.running) await serve.stop('SIGKILL', 5_000).catch(() => undefined);
    throw error;
  }
  return serve;
}

/**
 * Mocha hooks for a suite of spawned processes: a fresh temp folder (handed to `onDir`), each test's
 * stray processes killed after it even when it fails, and everything stopped and removed at the end.
 */
export function useSpawnedProcesses(prefix: string, onDir: (dir: string) => void): void {
  let dir = '';
  let mark = 0;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    onDir(dir);
  });
  beforeEach(() => {
    mark = processMark();
  });
  afterEach(() => killStrayProcesses(mark));
  after(async () => {
    await killStrayProcesses();
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
