import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { descendants, isAlive } from './process-tree.js';
import { repoRoot } from './services.js';

/** What `npm start` prints once everything answers; the launcher prints it, runners wait for it. */
export const READY_LINE = 'Ticketing is running at';

export interface NpmStartOptions {
  /** The front door's port. */
  port: number;
  /** TICKETING_DATA_DIR: the embedded PostgreSQL, NATS store and keys of this run. */
  dataDir: string;
  /** Extra environment: stream and subject prefix, log level, windows... */
  env?: Record<string, string>;
  /** All it prints, appended. */
  logFile: string;
  /** What to run instead of `npm start` (this module's own tests). */
  command?: [string, ...string[]];
}

/**
 * `npm start` run exactly as a developer runs it, for the benchmarks and the browser tests:
 * in a process group of its own, so that stopping it is a Ctrl-C as a terminal sends it
 * (SIGINT to the whole group).
 */
export class NpmStart {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    readonly port: number,
    readonly logFile: string,
    /** Milliseconds from spawning to its ready line. */
    readonly startMs: number,
  ) {}

  /** Starts it and waits for its ready line; fails should it exit first. */
  static async start(options: NpmStartOptions): Promise<NpmStart> {
    const started = performance.now();
    let seen = '';
    let ready = () => {};
    const { child, exited } = spawnNpmStart(options, (text) => {
      seen = (seen + text).slice(-2000);
      if (seen.includes(READY_LINE)) ready();
    });
    await new Promise<void>((resolve, reject) => {
      ready = resolve;
      void exited.then((code) => reject(new Error(`npm start exited with ${code}; see ${options.logFile}`)));
    });
    return new NpmStart(child, exited, options.port, options.logFile, performance.now() - started);
  }

  /** A start meant to stop by itself (a refused start): its exit code and all it printed. */
  static async runToExit(options: NpmStartOptions): Promise<{ code: number | null; output: string }> {
    let output = '';
    const { child } = spawnNpmStart(options, (text) => (output += text));
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, output };
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * Ctrl-C, as a terminal sends it: SIGINT to the whole group. Resolves with npm's exit code
   * when npm exits, which is when it says all it started has stopped (tests check that it has).
   */
  interrupt(): Promise<number | null> {
    signal(-this.pid, 'SIGINT');
    return this.exited;
  }

  /**
   * Ctrl-C, then waits until every process of the tree has exited, whatever npm said: a new
   * start on the same data directory must not meet the old PostgreSQL. SIGKILL to what is
   * left after `graceMs`. Resolves with npm's exit code.
   */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    const tree = descendants(this.pid);
    void this.interrupt();
    const deadline = performance.now() + graceMs;
    while (tree.some(isAlive)) {
      if (performance.now() > deadline) {
        for (const pid of tree) signal(pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.exited;
  }

  /** Last resort when the runner itself is dying: SIGKILL to the whole tree, synchronously. */
  kill(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const pid of descendants(this.pid).reverse()) signal(pid, 'SIGKILL');
  }
}

function spawnNpmStart(options: NpmStartOptions, onOutput: (text: string) => void) {
  mkdirSync(dirname(options.logFile), { recursive: true });
  // Written as it comes, so the log holds every line seen so far, the ready line included.
  const log = openSync(options.logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PORT: String(options.port), TICKETING_DATA_DIR: options.dataDir };
  delete env.DATABASE_URL; // the embedded PostgreSQL, with its data in dataDir
  const [command, ...args] = options.command ?? ['npm', 'start'];
  const child = spawn(command, args, { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      writeSync(log, chunk);
      onOutput(chunk.toString());
    });
  }
  child.once('close', () => closeSync(log));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
