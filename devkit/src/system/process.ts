import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { NODE_HEAP_OPTIONS } from './node-heap.js';
import { pickEnv } from './process-env.js';
import { serviceEnv, type ServiceWiring } from './service-env.js';
import { repoRoot, type ServiceName } from './services.js';

/**
 * Where a process's output goes: each line onto our stdout behind its name, coloured on a
 * terminal (`npm start`, where one screen shows every process), or appended to a log file
 * (tests, whose own output must stay readable).
 */
export type Output = { prefixIndex: number } | { logFile: string };

export interface ProcessOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: Output;
  /**
   * A process group of its own: a Ctrl-C meant for its parent does not reach it (its parent
   * decides when it stops), and stopping it reaches whatever it started.
   */
  ownGroup?: boolean;
  /** Where it says it is ready, and which status means so (default: 200). */
  ready?: { url: string; isReady?: (status: number) => boolean };
  /**
   * It passes SIGTERM on to the process it runs and waits for it (tsx watch): a stop is sent to
   * it alone. Sent to the whole group, that process would get two, and a service heeds one
   * (run-service.ts): under tsx, the second ends it mid-drain.
   */
  relaysStop?: boolean;
}

const COLORS = [36, 33, 35, 32, 34, 31];

/** One child process of the system: a service, the web client, or a stand-in in a test. */
export class ManagedProcess {
  /** Resolves with the exit code (null when a signal ended it) once it has exited. */
  readonly exited: Promise<number | null>;
  private gone = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly options: ProcessOptions,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.gone = true;
        resolve(code);
      });
      // Not started at all (no such program): there will be no 'exit'.
      child.once('error', () => {
        this.gone = true;
        resolve(null);
      });
    });
  }

  static start(options: ProcessOptions): ManagedProcess {
    const { output } = options;
    let stdio: ['ignore', 'pipe' | number, 'pipe' | number] = ['ignore', 'pipe', 'pipe'];
    let logFd: number | undefined;
    if ('logFile' in output) {
      // The file itself, not a pipe through us: the log is complete even if we die first.
      mkdirSync(dirname(output.logFile), { recursive: true });
      logFd = openSync(output.logFile, 'a');
      stdio = ['ignore', logFd, logFd];
    }
    const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio, detached: options.ownGroup ?? false });
    if (logFd !== undefined) closeSync(logFd); // the child has its own copy
    if ('prefixIndex' in output) {
      const color = process.stdout.isTTY ? COLORS[output.prefixIndex % COLORS.length] : undefined;
      const label = color ? `\x1b[${color}m${options.name.padEnd(10)}\x1b[0m|` : `${options.name.padEnd(10)}|`;
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label} ${line}\n`));
      }
    }
    return new ManagedProcess(options.name, child, options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.gone || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Where its output can be read, for messages about it. */
  get outputAt(): string {
    return 'logFile' in this.options.output ? `see ${this.options.output.logFile}` : 'its output is above';
  }

  /** Sends `signal` to it (to its whole group when it has one); nothing when it is gone. */
  signal(signal: NodeJS.Signals): void {
    this.send(signal, this.options.ownGroup ?? false);
  }

  private send(signal: NodeJS.Signals, toGroup: boolean): void {
    // An exited process's pid may be another process's by now; its group is still ours to clean up.
    if (this.child.pid === undefined || (this.hasExited && !toGroup)) return;
    try {
      process.kill(toGroup ? -this.child.pid : this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * Waits until its ready URL answers as ready. Fails at once should it exit first, when
   * `signal` aborts (a stop during the start), or after `timeoutMs`.
   */
  async waitReady(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const { ready } = this.options;
    if (!ready) throw new Error(`${this.name} has no ready URL to wait for`);
    const { signal, timeoutMs = 60_000 } = options;
    const isReady = ready.isReady ?? ((status: number) => status === 200);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (this.hasExited) {
        throw new Error(`${this.name} exited while starting (exit ${this.child.exitCode ?? this.child.signalCode}); ${this.outputAt}`);
      }
      try {
        const res = await fetch(ready.url, { signal });
        await res.body?.cancel();
        if (isReady(res.status)) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not become ready at ${ready.url} within ${timeoutMs / 1000} s; ${this.outputAt}`);
      await Promise.race([new Promise((r) => setTimeout(r, 100)), this.exited]);
    }
  }

  /**
   * SIGTERM, and the drain it starts; SIGKILL after `graceMs` is the last resort, and said
   * through `log`. Resolves with its exit code once it has exited.
   */
  async stop(options: { graceMs?: number; log?: (line: string) => void } = {}): Promise<number | null> {
    const { graceMs = 15_000, log } = options;
    if (!this.hasExited) {
      this.send('SIGTERM', (this.options.ownGroup ?? false) && !this.options.relaysStop);
      const timer = setTimeout(() => {
        log?.(`${this.name} did not stop within ${graceMs / 1000} s of SIGTERM: killing it`);
        this.signal('SIGKILL');
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.options.ownGroup) this.signal('SIGKILL'); // anything it left behind in its group
    return this.exited;
  }

  /** SIGKILL: no cleanup at all, as a crash. Resolves once it has exited. */
  async kill(): Promise<number | null> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** tsx's command line, whose `watch` runs a script again when a file it imported changes. */
const TSX_CLI = createRequire(import.meta.url).resolve('tsx/cli');

/**
 * A service as production runs it (`src/main.ts` from its own folder), with the environment
 * serviceEnv() builds, on top of only those of our variables that BASE_ENV and `inherit` name
 * (never the whole of ours); ready once `/readyz` answers 200.
 *
 * With `watch` (`npm run dev`), under `tsx watch`: the service restarts whenever a file it
 * imported changes (its own sources, common's and contracts', which `--conditions=source`
 * imports as sources), and at no other time; tsx stops it with SIGTERM first (SIGKILL after
 * 5 s). One that fails to start stays down until the next change. The process is then tsx's,
 * which outlives each run of the service.
 */
export function startService(
  service: ServiceName,
  options: { wiring: ServiceWiring; env?: Record<string, string>; inherit?: readonly string[]; output: Output; ownGroup?: boolean; watch?: boolean },
): ManagedProcess {
  const run = [...NODE_HEAP_OPTIONS, '--conditions=source'];
  return ManagedProcess.start({
    name: service,
    command: process.execPath,
    args: options.watch
      ? [...NODE_HEAP_OPTIONS, TSX_CLI, 'watch', '--clear-screen=false', ...run, 'src/main.ts']
      : [...run, '--import', 'tsx', 'src/main.ts'],
    cwd: join(repoRoot, service),
    env: { ...pickEnv(options.inherit ?? []), ...serviceEnv(service, options.wiring, options.env) },
    output: options.output,
    ownGroup: options.ownGroup,
    relaysStop: options.watch,
    ready: { url: `http://127.0.0.1:${options.wiring.port}/readyz` },
  });
}
