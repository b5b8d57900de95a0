/**
 * The container engine the container tests drive: Docker where a Docker daemon answers, else
 * podman (with buildah underneath for builds). Both take the same commands for what these
 * tests do (build, run, exec, network, inspect), so the tests are written once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type EngineName = 'docker' | 'podman';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; its output also goes to `log` when given. Never throws on a non-zero exit. */
export function run(command: string, args: string[], options: { log?: string; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const log = options.log ? openLog(options.log) : undefined;
    log?.write(`\n$ ${command} ${args.join(' ')}\n`);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      log?.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      log?.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      log?.end();
      resolve({ code: code ?? 1, stdout, stderr });
    });
    // A command that exits before its stdin is closed (mv, under load) makes this EPIPE, which
    // unhandled would end the whole run; its exit code says how it went.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Like `run`, but a non-zero exit is an error that quotes the end of the output. */
export async function must(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} ... exited with ${result.code}:\n${tail}`);
  }
  return result.stdout.trim();
}

function openLog(path: string) {
  mkdirSync(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: 'a' });
}

/** Docker if its daemon answers, else podman; neither is an error that says what to install. */
export function chooseEngine(): EngineName {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) return 'docker';
  if (spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0) return 'podman';
  throw new Error(
    'No container engine: start Docker, or install podman, buildah and runc (`apt-get install -y podman buildah runc debootstrap`; see docs/deploy.md).',
  );
}

export class Engine {
  constructor(
    readonly name: EngineName,
    private readonly log: string,
  ) {}

  /** Runs an engine command, failing with its output. */
  cmd(...args: string[]): Promise<string> {
    return must(this.name, args, { log: this.log });
  }

  /** Runs an engine command and returns its result, whatever its exit code. */
  try(...args: string[]): Promise<RunResult> {
    return run(this.name, args, { log: this.log });
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.try('image', 'inspect', ref)).code === 0;
  }

  async imageSize(ref: string): Promise<number> {
    return Number(await this.cmd('image', 'inspect', '--format', '{{.Size}}', ref));
  }
}
