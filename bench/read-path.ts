import type { BareServer } from './baselines.js';
import type { BenchConfig } from './config.js';
import type { TicketDatasets } from './datasets.js';
import { loadRound, type LoadRound } from './load.js';
import { figure, type Figure } from './report.js';
import { alternate, median } from './stats.js';

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

export async function readPath(options: {
  frontDoor: string;
  bare: BareServer;
  datasets: TicketDatasets;
  config: BenchConfig;
}) {
  const { frontDoor, bare, datasets, config } = options;
  await datasets.use('read');
  const system = `${frontDoor}/api/tickets`;
  const baseline = `${bare.url}/api/tickets`;
  await warmUp(system);
  await warmUp(baseline);
  const rounds = await alternate(
    config.rounds,
    () => loadRound(system, config.roundSeconds, config.connections),
    () => loadRound(baseline, config.roundSeconds, config.connections),
  );
  const s = summarise(rounds.a);
  const b = summarise(rounds.b);
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
  ];
  return { figures, details: { system: rounds.a, bare: rounds.b } };
}
