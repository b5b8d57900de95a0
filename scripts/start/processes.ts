import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Child processes of `npm start`, each line of their output prefixed with their name. */
const COLORS = [36, 33, 35, 32, 34, 31];

export interface Managed {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  index: number,
): Managed {
  // Its own process group, so stopping it also stops anything it started (next start -> next-server).
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const color = process.stdout.isTTY ? COLORS[index % COLORS.length] : undefined;
  const label = color ? `\x1b[${color}m${name.padEnd(10)}\x1b[0m|` : `${name.padEnd(10)}|`;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label} ${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

/** SIGTERM to the process group, then SIGKILL after a grace period. */
export async function stopProcess(p: Managed, graceMs = 15_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-p.child.pid!, signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGTERM');
  const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
  signalGroup('SIGKILL'); // anything left in the group
}

export async function waitForHttp(url: string, isReady: (status: number) => boolean, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (isReady(res.status)) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
