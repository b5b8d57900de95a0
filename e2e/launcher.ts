import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { NpmStart } from '@ticketing/devkit/system/npm-start';
import { repoRoot } from '@ticketing/devkit/system/services';

/**
 * `npm start` for the browser tests, through devkit's runner, with its output in
 * `.test-results/e2e/<name>.log`.
 */
export { processesMentioning } from '@ticketing/devkit/system/process-tree';

export interface StartOptions {
  dataDir: string;
  env: Record<string, string>;
  name: string;
}

const settings = async (options: StartOptions) => ({
  port: await freePort(),
  dataDir: options.dataDir,
  env: options.env,
  logFile: join(repoRoot, '.test-results', 'e2e', `${options.name}.log`),
});

export class Launcher {
  private constructor(private readonly npm: NpmStart) {}

  get logFile(): string {
    return this.npm.logFile;
  }

  get url(): string {
    return `http://localhost:${this.npm.port}`;
  }

  get port(): number {
    return this.npm.port;
  }

  /** npm's process id: every process `npm start` runs descends from it. */
  get pid(): number {
    return this.npm.pid;
  }

  static async start(options: StartOptions): Promise<Launcher> {
    return new Launcher(await NpmStart.start(await settings(options)));
  }

  /** `npm start` meant to stop by itself (a refused start): its exit code and all it printed. */
  static async runToExit(options: StartOptions): Promise<{ code: number | null; output: string }> {
    return NpmStart.runToExit(await settings(options));
  }

  /** Ctrl-C: SIGINT to the whole process group. Resolves with npm's exit code. */
  interrupt(): Promise<number | null> {
    return this.npm.interrupt();
  }
}
