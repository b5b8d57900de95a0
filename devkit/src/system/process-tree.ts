import { readdirSync, readFileSync } from 'node:fs';

/** Processes as Linux's /proc shows them: a tree to wait for, or to find leftovers in. */

/** The fields of /proc/<pid>/stat after the command name, which may hold spaces or parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const pids = () => readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);

/** `root` and every process descended from it, parents before children. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const parent = Number(statFields(pid)?.[1] ?? NaN);
    if (Number.isNaN(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Processes still running whose command line or environment mentions `marker` (this one aside). */
export function processesMentioning(marker: string): number[] {
  return pids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) || readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker);
    } catch {
      return false; // gone, or not ours to read
    }
  });
}

/** Whether it still runs: a zombie (exited, but not yet reaped by its parent or by init) does not. */
export function isAlive(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z';
}
