import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ticketing/devkit/free-port';
import { descendants } from './process-tree.js';
import { now, sleep } from './stats.js';

/**
 * The system under test, started exactly as a developer starts it (`npm start`), with a data
 * directory, port, stream and subject prefix of its own so a run never touches anyone's data.
 * Its output goes to `.bench-results/system.log`.
 */
export const root = fileURLToPath(new URL('..', import.meta.url));
export const resultsDir = join(root, '.bench-results');

export interface SystemSettings {
  dataDir: string;
  port: number;
  stream: string;
  subjectPrefix: string;
}

export async function systemSettings(runId: string): Promise<SystemSettings> {
  return {
    dataDir: join(root, '.data', 'bench'),
    port: await freePort(),
    stream: `BENCH_${runId}`,
    subjectPrefix: `bench${runId}.`,
  };
}

export class BenchSystem {
  private constructor(
    readonly settings: SystemSettings,
    private readonly child: ChildProcess,
    private readonly exited: Promise<number | null>,
    /** Milliseconds from spawning `npm start` to its "running" line. */
    readonly startMs: number,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.settings.port}`;
  }

  get pid() {
    return this.child.pid!;
  }

  /** Empties the data directory, for a run that starts from nothing. */
  static wipe(settings: SystemSettings) {
    rmSync(settings.dataDir, { recursive: true, force: true });
  }

  static clearLog() {
    rmSync(join(resultsDir, 'system.log'), { force: true });
  }

  static async start(settings: SystemSettings): Promise<BenchSystem> {
    mkdirSync(resultsDir, { recursive: true });
    const log = createWriteStream(join(resultsDir, 'system.log'), { flags: 'a' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(settings.port),
      TICKETING_DATA_DIR: settings.dataDir,
      NATS_STREAM: settings.stream,
      NATS_SUBJECT_PREFIX: settings.subjectPrefix,
    };
    delete env.DATABASE_URL; // the embedded PostgreSQL, with its data in dataDir
    const started = now();
    // Its own process group, so stopping it reaches everything it started.
    const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-2000);
        if (seen.includes('Ticketing is running at')) resolve();
      });
      void exited.then((code) => reject(new Error(`npm start exited with ${code}; see .bench-results/system.log`)));
    });
    return new BenchSystem(settings, child, exited, now() - started);
  }

  /** A connection URL for one service's database on the embedded server. */
  databaseUrl(service: string): string {
    // PostgreSQL writes its port on the fourth line of postmaster.pid.
    const pid = readFileSync(join(this.settings.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    return `postgres://postgres:postgres@127.0.0.1:${pid[3]}/ticketing_${service}`;
  }

  /**
   * Ctrl-C, as a terminal sends it, then waits until every process of the tree has exited:
   * npm itself exits before the launcher has finished stopping PostgreSQL, and a new start
   * on the same data directory must not meet the old server. SIGKILL after the grace period.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const tree = descendants(this.pid);
    signal(-this.pid, 'SIGINT');
    const deadline = now() + graceMs;
    while (tree.some(isAlive)) {
      if (now() > deadline) {
        for (const pid of tree) signal(pid, 'SIGKILL');
        break;
      }
      await sleep(100);
    }
    await this.exited;
  }

  /** Last resort when the benchmark itself dies: SIGKILL to the whole tree, synchronously. */
  kill() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    for (const pid of descendants(this.pid).reverse()) signal(pid, 'SIGKILL');
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
