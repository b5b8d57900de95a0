import { FRONT_DOORS, type BareFrontDoor, type BareServer, type FrontDoorKind } from './baselines.js';
import type { BenchConfig } from './config.js';
import type { TicketDatasets } from './datasets.js';
import { loadRound, type LoadRound } from './load.js';
import { cpuBetween, cpuByRole } from './process-tree.js';
import { figure, type Figure } from './report.js';
import { interleave, median, round } from './stats.js';

const GROUP = '1. Read path: GET /api/tickets (page of 50)';

/** The page the system answers with, which the bare route then serves from memory. */
export async function firstPage(url: string) {
  const res = await fetch(`${url}/api/tickets`);
  if (res.status !== 200) throw new Error(`GET /api/tickets answered ${res.status}`);
  return { tickets: (await res.json()) as unknown[], link: res.headers.get('link') };
}

/** A few requests before measuring, so neither side pays for a cold cache or a new connection. */
export async function warmUp(url: string, requests = 20) {
  for (let i = 0; i < requests; i++) await (await fetch(url)).arrayBuffer();
}

export function summarise(rounds: LoadRound[]) {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    failures: rounds.reduce((n, r) => n + r.failures, 0),
  };
}

/**
 * A load round that also counts the CPU time each process used per request (the load
 * generator included), by role: where the time goes.
 */
async function accountedRound(
  url: string,
  rootPid: number,
  config: BenchConfig,
  cpuPerRequest: Record<string, number[]>,
  label: (role: string) => string = (role) => role,
) {
  const before = cpuByRole(rootPid);
  const ownBefore = process.cpuUsage();
  const result = await loadRound(url, config.roundSeconds, config.connections);
  const own = process.cpuUsage(ownBefore);
  const used = cpuBetween(before, cpuByRole(rootPid));
  used['load generator (this process)'] = (own.user + own.system) / 1000;
  for (const [role, ms] of Object.entries(used)) (cpuPerRequest[label(role)] ??= []).push(ms / result.requests);
  return result;
}

const perRequest = (cpu: Record<string, number[]>) =>
  Object.fromEntries(
    Object.entries(cpu)
      .map(([role, values]) => [role, round(median(values), 3)] as const)
      .filter(([, ms]) => ms >= 0.005)
      .sort((x, y) => y[1] - x[1]),
  );

/** Load on one front door in front of the bare route, with the door's own CPU time per request. */
async function doorRound(door: BareFrontDoor, config: BenchConfig, cpuPerRequest: number[]) {
  const total = () => [...cpuByRole(door.pid).values()].reduce((a, b) => a + b, 0);
  const before = total();
  const result = await loadRound(`${door.url}/api/tickets`, config.roundSeconds, config.connections);
  cpuPerRequest.push((total() - before) / result.requests);
  return result;
}

export async function readPath(options: {
  frontDoor: string;
  systemPid: number;
  bare: BareServer;
  datasets: TicketDatasets;
  config: BenchConfig;
}) {
  const { frontDoor, systemPid, bare, datasets, config } = options;
  await datasets.use('read');
  const system = `${frontDoor}/api/tickets`;
  const baseline = `${bare.url}/api/tickets`;
  // npm start's front door first, then the alternatives it was chosen over, each alone in front
  // of the bare route: the ceiling a front door puts on the read path.
  const doors = await Promise.all((Object.keys(FRONT_DOORS) as FrontDoorKind[]).map((kind) => bare.frontDoor(kind)));
  // A round of load each, not recorded: V8 optimises a server's hot paths only after some
  // thousands of requests, and a cold first round would count against the system.
  for (const url of [system, baseline, ...doors.map((d) => `${d.url}/api/tickets`)]) {
    await warmUp(url);
    await loadRound(url, config.roundSeconds, config.connections);
  }
  const cpuPerRequest: Record<string, number[]> = {};
  const bareCpuPerRequest: Record<string, number[]> = {};
  const doorCpuPerRequest = doors.map(() => [] as number[]);
  const [rounds, bareRounds, ...doorRounds] = await interleave(config.rounds, [
    () => accountedRound(system, systemPid, config, cpuPerRequest),
    () => accountedRound(baseline, bare.pid, config, bareCpuPerRequest, (role) => (role === 'node' ? 'bare Express' : role)),
    ...doors.map((door, i) => () => doorRound(door, config, doorCpuPerRequest[i]!)),
  ]);
  const s = summarise(rounds!);
  const b = summarise(bareRounds!);
  const d = doorRounds.map(summarise);
  if (s.failures > 0) throw new Error(`read path: ${s.failures} failed requests`);
  const ratio = s.requestsPerSecond / b.requestsPerSecond;
  const bareRoute = (value: number) => ({ name: 'bare Express route', value });
  const figures: Figure[] = [
    figure(GROUP, `requests/s, ${config.readTickets.toLocaleString('en-US')} stored`, s.requestsPerSecond, 'req/s', bareRoute(b.requestsPerSecond), {
      text: '>= 0.6x',
      met: ratio >= 0.6,
    }),
    figure(GROUP, 'p50 latency', s.p50Ms, 'ms', bareRoute(b.p50Ms)),
    figure(GROUP, 'p99 latency', s.p99Ms, 'ms', bareRoute(b.p99Ms), { text: '<= 3x', met: s.p99Ms <= 3 * b.p99Ms }),
    ...doors.map((door, i) =>
      figure(
        GROUP,
        `${i === 0 ? '(ceiling) front door' : `(alternative) ${FRONT_DOORS[door.kind]}`} + bare route, requests/s`,
        d[i]!.requestsPerSecond,
        'req/s',
        bareRoute(b.requestsPerSecond),
      ),
    ),
  ];
  const frontDoors = Object.fromEntries(
    doors.map((door, i) => [
      FRONT_DOORS[door.kind],
      { ...d[i]!, cpuMsPerRequest: round(median(doorCpuPerRequest[i]!), 3) },
    ]),
  );
  return {
    figures,
    details: {
      system: rounds,
      bare: bareRounds,
      frontDoorOnBare: doorRounds[0],
      /** Each front door alone in front of the bare route: requests/s, latency, its CPU per request. */
      frontDoors,
      cpuMsPerRequest: perRequest(cpuPerRequest),
      bareCpuMsPerRequest: perRequest(bareCpuPerRequest),
    },
  };
}

/** "front door alternatives" for the report: each one's requests/s and CPU ms per request. */
export function frontDoorSummary(frontDoors: Record<string, { requestsPerSecond: number; cpuMsPerRequest: number }>) {
  return Object.entries(frontDoors)
    .map(([name, f]) => `${name} ${Math.round(f.requestsPerSecond).toLocaleString('en-US')} req/s (${f.cpuMsPerRequest} ms)`)
    .join('; ');
}
