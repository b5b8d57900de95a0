import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { descendants } from '@ticketing/devkit/system/process-tree';

/** A process and its memory, read from /proc. */
export interface ProcessMemory {
  pid: number;
  name: string;
  /** Resident set size, in bytes. */
  rss: number;
  /** Proportional set size, in bytes: shared pages divided among the processes sharing them. */
  pss: number;
}

const kB = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;

export function memoryOf(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    let pss = 0;
    try {
      pss = kB(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // not readable: counted as 0
    }
    const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
    return { pid, name, rss: kB(status, 'VmRSS'), pss };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** The memory of every process in a tree. */
export function treeMemory(root: number): ProcessMemory[] {
  return descendants(root)
    .map(memoryOf)
    .filter((m): m is ProcessMemory => m !== undefined);
}

/** The first process whose command line starts with `command` (e.g. the NATS server). */
export function findProcess(command: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]?.endsWith(command)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

const TICK_MS = 10; // Linux reports CPU time in clock ticks of 1/100 s (USER_HZ)

/**
 * The role a PostgreSQL backend serves (each service signs in as its own; the bench as the
 * superuser), from the title it gives itself (`postgres: <role> <database> <client> <state>`);
 * undefined for any other process.
 */
export function backendRoleOf(pid: number): string | undefined {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return /^postgres: (\S+) \S+ (?:\d|\[local\])/.exec(title)?.[1];
  } catch {
    return undefined;
  }
}

/** What a process is to the system: a service (by its directory), the launcher, postgres... */
export function roleOf(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmdline[0]?.startsWith('postgres')) return 'postgres';
    if (cmdline.some((a) => /scripts\/start\/(main|launcher)\.ts$/.test(a))) return 'launcher + front door';
    if (cmdline.includes('src/main.ts')) return readlinkSync(`/proc/${pid}/cwd`).split('/').pop()!;
    return (cmdline[0] ?? '?').split('/').pop()!;
  } catch {
    return '?';
  }
}

/** CPU time (user + system, ms) used so far by each role in a process tree. */
export function cpuByRole(root: number): Map<string, number> {
  const byRole = new Map<string, number>();
  for (const pid of descendants(root)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      const role = roleOf(pid);
      byRole.set(role, (byRole.get(role) ?? 0) + ms);
    } catch {
      // exited meanwhile
    }
  }
  return byRole;
}

/** CPU ms each role used between two readings (processes that exited meanwhile are missed). */
export function cpuBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [role, ms] of after) {
    const delta = ms - (before.get(role) ?? 0);
    if (delta > 0) used[role] = delta;
  }
  return used;
}
