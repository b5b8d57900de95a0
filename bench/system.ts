import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { NpmStart } from '@ticketing/devkit/system/npm-start';
import { repoRoot } from '@ticketing/devkit/system/services';

/**
 * The system under test, started exactly as a developer starts it (`npm start`, through
 * devkit's runner), with a data directory, port, stream and subject prefix of its own so a run
 * never touches anyone's data. Its output goes to `.bench-results/system.log`.
 */
export const resultsDir = join(repoRoot, '.bench-results');
const logFile = join(resultsDir, 'system.log');

export interface SystemSettings {
  /** The run's NATS server: NATS_URL, or one the run starts (bench/run.ts). */
  natsUrl: string;
  dataDir: string;
  port: number;
  stream: string;
  subjectPrefix: string;
}

export async function systemSettings(runId: string, natsUrl: string): Promise<SystemSettings> {
  return {
    natsUrl,
    dataDir: join(repoRoot, '.data', 'bench'),
    port: await freePort(),
    stream: `BENCH_${runId}`,
    subjectPrefix: `bench${runId}.`,
  };
}

export class BenchSystem {
  private constructor(
    readonly settings: SystemSettings,
    private readonly npm: NpmStart,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.settings.port}`;
  }

  get pid() {
    return this.npm.pid;
  }

  /** Milliseconds from spawning `npm start` to its "running" line. */
  get startMs() {
    return this.npm.startMs;
  }

  /** Empties the data directory, for a run that starts from nothing. */
  static wipe(settings: SystemSettings) {
    rmSync(settings.dataDir, { recursive: true, force: true });
  }

  static clearLog() {
    rmSync(logFile, { force: true });
  }

  static async start(settings: SystemSettings): Promise<BenchSystem> {
    const npm = await NpmStart.start({
      port: settings.port,
      dataDir: settings.dataDir,
      env: { NATS_URL: settings.natsUrl, NATS_STREAM: settings.stream, NATS_SUBJECT_PREFIX: settings.subjectPrefix },
      logFile,
    });
    return new BenchSystem(settings, npm);
  }

  /** A connection URL for one service's database on the embedded server. */
  databaseUrl(service: string): string {
    // PostgreSQL writes its port on the fourth line of postmaster.pid; npm start keeps the
    // password it generated beside the data (devkit's passwordFileOf).
    const pid = readFileSync(join(this.settings.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
    const password = readFileSync(join(this.settings.dataDir, 'postgres.password'), 'utf8').trim();
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pid[3]}/ticketing_${service}`;
  }

  /** Ctrl-C, and waits for every process of the tree (SIGKILL after the grace period). */
  async stop(): Promise<void> {
    await this.npm.stop();
  }

  /** Last resort when the benchmark itself dies: SIGKILL to the whole tree, synchronously. */
  kill() {
    this.npm.kill();
  }
}
