import type { BareServer } from './baselines.js';
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
  const proxied = `${bare.behindFrontDoorUrl}/api/tickets`;
  // A round of load each, not recorded: V8 optimises a server's hot paths only after some
  // thousands of requests, and a cold first round would count against the system.
  for (const url of [system, baseline, proxied]) {
    await warmUp(url);
    await loadRound(url, config.roundSeconds, config.connections);
  }
  const cpuPerRequest: Record<string, number[]> = {};
  const bareCpuPerRequest: Record<string, number[]> = {};
  const [rounds, bareRounds, proxiedRounds] = await interleave(config.rounds, [
    () => accountedRound(system, systemPid, config, cpuPerRequest),
    () => accountedRound(baseline, bare.pid, config, bareCpuPerRequest, (role) => (role === 'node' ? 'bare Express' : role)),
    () => loadRound(proxied, config.roundSeconds, config.connections),
  ]);
  const s = summarise(rounds!);
  const b = summarise(bareRounds!);
  const p = summarise(proxiedRounds!);
  if (s.failures > 0) throw new Error(`read path: ${s.failures} failed requests`);
  const ratio = s.requestsPerSecond / b.requestsPerSecond;
  const bareRoute = (value: number) => ({ name: 'bare Express route', value });
  const figures: Figure[] = [
    figure(GROUP, `requests/s, ${config.readTickets.toLocaleString('en-US')} stored`, s.requestsPerSecond, 'req/s', bareRoute(b.requestsPerSecond), {
      text: '>= 0.6x',
      met: ratio >= 0.6,
    }),
    figure(GROUP, 'p50 latency', s.p50Ms, 'ms', bareRoute(b.p50Ms)),
    figure(GROUP, 'p99 latency', s.p99Ms, 'ms', bareRoute(b.p99Ms)),
    figure(GROUP, '(ceiling) front door + bare route, requests/s', p.requestsPerSecond, 'req/s', bareRoute(b.requestsPerSecond)),
  ];
  return {
    figures,
    details: {
      system: rounds,
      bare: bareRounds,
      frontDoorOnBare: proxiedRounds,
      cpuMsPerRequest: perRequest(cpuPerRequest),
      bareCpuMsPerRequest: perRequest(bareCpuPerRequest),
    },
  };
}
