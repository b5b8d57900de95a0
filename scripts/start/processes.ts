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

export const hasExited = (p: Managed) => p.child.exitCode !== null || p.child.signalCode !== null;

export function signalGroup(p: Managed, signal: NodeJS.Signals) {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to the process group; each process drains and exits within a few seconds. SIGKILL
 * after a grace period is the last resort, and said.
 */
export async function stopProcess(p: Managed, log: (line: string) => void, graceMs = 15_000): Promise<void> {
  if (hasExited(p)) return;
  signalGroup(p, 'SIGTERM');
  const timer = setTimeout(() => {
    log(`${p.name} did not stop within ${graceMs / 1000} s of SIGTERM: killing it`);
    signalGroup(p, 'SIGKILL');
  }, graceMs);
  await p.exited;
  clearTimeout(timer);
  signalGroup(p, 'SIGKILL'); // anything left in the group
}

/** Waits until `url` answers as `isReady` wants; fails at once should `p` exit first, or `signal` abort. */
export async function waitForHttp(
  p: Managed,
  url: string,
  isReady: (status: number) => boolean,
  signal: AbortSignal,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    if (hasExited(p)) throw new Error(`${p.name} exited while starting (exit ${p.child.exitCode ?? p.child.signalCode}); its output is above`);
    try {
      const res = await fetch(url, { signal });
      if (isReady(res.status)) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${p.name} did not become ready at ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
