import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@ticketing/devkit/free-port';

/**
 * `npm start`, run exactly as a developer runs it, in its own process group so a test can
 * press Ctrl-C (SIGINT to the whole group, as a terminal does).
 */
const root = fileURLToPath(new URL('..', import.meta.url));

export interface StartOptions {
  dataDir: string;
  env: Record<string, string>;
  name: string;
}

export class Launcher {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
    readonly logFile: string,
  ) {}

  static async start(options: StartOptions): Promise<Launcher> {
    let seen = '';
    let ready = () => {};
    const npm = await spawnNpmStart(options, (text) => {
      seen = (seen + text).slice(-2000);
      if (seen.includes('Ticketing is running at')) ready();
    });
    await new Promise<void>((resolve, reject) => {
      ready = resolve;
      void npm.exited.then((code) => reject(new Error(`npm start exited with ${code}; see ${npm.logFile}`)));
    });
    return new Launcher(npm.url, npm.child, npm.exited, npm.logFile);
  }

  /** `npm start` meant to stop by itself (a refused start): its exit code and all it printed. */
  static async runToExit(options: StartOptions): Promise<{ code: number | null; output: string }> {
    let output = '';
    const { child } = await spawnNpmStart(options, (text) => (output += text));
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, output };
  }

  /** Ctrl-C: SIGINT to the whole process group. Resolves with npm's exit code. */
  async interrupt(): Promise<number | null> {
    process.kill(-this.child.pid!, 'SIGINT');
    return this.exited;
  }
}

async function spawnNpmStart(options: StartOptions, onOutput: (text: string) => void) {
  const port = await freePort();
  const logDir = join(root, '.test-results', 'e2e');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${options.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PORT: String(port), TICKETING_DATA_DIR: options.dataDir };
  delete env.DATABASE_URL; // the embedded PostgreSQL, with its data in dataDir
  const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.pipe(log);
    stream.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { url: `http://localhost:${port}`, child, exited, logFile };
}

/** Processes still running whose command line or environment mentions `marker`. */
export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes(marker) || environ.includes(marker)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
