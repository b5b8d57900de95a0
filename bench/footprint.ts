import { backendRoleOf, findProcess, memoryOf, roleOf, treeMemory, type ProcessMemory } from './process-tree.js';
import { figure, type Figure } from './report.js';
import { median, sleep } from './stats.js';

const GROUP = '5. Footprint';
const MB = 1024 * 1024;

export interface Memory {
  /** Sum of the RSS of every process, in MB, as the target counts it. */
  rssMb: number;
  /** The same with shared pages counted once (PSS), in MB. */
  pssMb: number;
  /** RSS in MB by role: each service, the launcher, postgres, nats-server... */
  byName: Record<string, number>;
  /** PSS in MB by role: what each role takes when what it shares (the node binary, PostgreSQL's buffers) is shared out. */
  pssByName: Record<string, number>;
  /** PostgreSQL backends (client connections) by the role they serve: a service's, or the bench's (postgres). */
  backends: Record<string, number>;
  processes: number;
}

/**
 * Memory of the whole local system: the `npm start` process tree, plus the NATS server when
 * `npm start` found one already running rather than starting its own.
 */
export function systemMemory(rootPid: number): Memory {
  const processes: ProcessMemory[] = treeMemory(rootPid);
  if (!processes.some((p) => p.name === 'nats-server')) {
    const nats = findProcess('nats-server');
    const memory = nats === undefined ? undefined : memoryOf(nats);
    if (memory) processes.push(memory);
  }
  const byName: Record<string, number> = {};
  const pssByName: Record<string, number> = {};
  const backends: Record<string, number> = {};
  for (const p of processes) {
    const role = roleOf(p.pid);
    byName[role] = (byName[role] ?? 0) + p.rss / MB;
    pssByName[role] = (pssByName[role] ?? 0) + p.pss / MB;
    const backendRole = backendRoleOf(p.pid);
    if (backendRole) backends[backendRole] = (backends[backendRole] ?? 0) + 1;
  }
  const rounded = (byRole: Record<string, number>) => Object.fromEntries(Object.entries(byRole).map(([role, mb]) => [role, Math.round(mb)]));
  return {
    rssMb: processes.reduce((n, p) => n + p.rss, 0) / MB,
    pssMb: processes.reduce((n, p) => n + p.pss, 0) / MB,
    byName: rounded(byName),
    pssByName: rounded(pssByName),
    backends,
    processes: processes.length,
  };
}

/** Idle: a few readings a second apart, the median. */
export async function idleMemory(rootPid: number): Promise<Memory> {
  const readings: Memory[] = [];
  for (let i = 0; i < 3; i++) {
    readings.push(systemMemory(rootPid));
    await sleep(1000);
  }
  const m = median(readings.map((r) => r.rssMb));
  return readings.find((r) => r.rssMb === m)!;
}

/** Where the memory goes: RSS (PSS) by role, largest first, and whose the PostgreSQL backends are. */
export function memoryBreakdown(m: Memory): string {
  const roles = Object.entries(m.byName)
    .sort(([, a], [, b]) => b - a)
    .map(([role, rss]) => `${role} ${rss} (${m.pssByName[role] ?? 0})`)
    .join(', ');
  const backends = Object.entries(m.backends)
    .map(([role, n]) => `${role === 'postgres' ? 'the bench' : role.replace(/^ticketing_/, '')} ${n}`)
    .join(', ');
  const total = Object.values(m.backends).reduce((a, b) => a + b, 0);
  return `${roles}; PostgreSQL backends ${total}: ${backends}`;
}

/** Samples memory while load runs; `peak` is the reading with the most RSS. */
export class MemorySampler {
  peak: Memory | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly rootPid: number) {}

  start(everyMs = 500) {
    this.timer = setInterval(() => {
      const m = systemMemory(this.rootPid);
      if (!this.peak || m.rssMb > this.peak.rssMb) this.peak = m;
    }, everyMs);
  }

  stop() {
    clearInterval(this.timer);
  }
}

export function footprintFigures(options: {
  idle: Memory;
  underLoad: Memory;
  bareProcessMb: number;
  coldStartMs: number;
  warmStartMs: number;
}): Figure[] {
  const { idle, underLoad, bareProcessMb, coldStartMs, warmStartMs } = options;
  return [
    figure(GROUP, 'RSS at idle', idle.rssMb, 'MB', { name: 'one bare Express process', value: bareProcessMb }, {
      text: '< 1,536 MB',
      met: idle.rssMb < 1536,
    }),
    figure(GROUP, 'RSS under purchase load', underLoad.rssMb, 'MB', { name: 'idle', value: idle.rssMb }, {
      text: '< 1,536 MB',
      met: underLoad.rssMb < 1536,
    }),
    figure(GROUP, 'PSS under purchase load (shared pages counted once)', underLoad.pssMb, 'MB', { name: 'RSS under load', value: underLoad.rssMb }),
    figure(GROUP, 'npm start to ready, warm', warmStartMs / 1000, 's', { name: 'first start', value: coldStartMs / 1000 }, {
      text: '< 15 s',
      met: warmStartMs < 15_000,
    }),
  ];
}
