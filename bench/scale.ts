import type { BenchConfig } from './config.js';
import type { TicketDatasets } from './datasets.js';
import { loadRound } from './load.js';
import { summarise, warmUp } from './read-path.js';
import { figure, type Figure } from './report.js';
import { alternate } from './stats.js';

/** The same read with few and with many tickets stored, rounds alternating between the two. */
export async function scale(options: { frontDoor: string; datasets: TicketDatasets; config: BenchConfig }) {
  const { frontDoor, datasets, config } = options;
  const url = `${frontDoor}/api/tickets`;
  const large = config.largeTickets.toLocaleString('en-US');
  const small = config.smallTickets.toLocaleString('en-US');
  const GROUP = `2. Scale: the same read, ${large} vs ${small} tickets stored`;
  const at = (dataset: string) => async () => {
    await datasets.use(dataset);
    await warmUp(url);
    return loadRound(url, config.roundSeconds, config.connections);
  };
  const rounds = await alternate(config.rounds, at('large'), at('small'));
  await datasets.use('large');
  const plan = await datasets.explainList();
  const l = summarise(rounds.a);
  const s = summarise(rounds.b);
  if (l.failures + s.failures > 0) throw new Error(`scale: ${l.failures + s.failures} failed requests`);
  const baseline = (value: number) => ({ name: `${small} stored`, value });
  const figures: Figure[] = [
    figure(GROUP, `p50 latency, ${large} stored`, l.p50Ms, 'ms', baseline(s.p50Ms), {
      text: '<= 1.5x',
      met: l.p50Ms <= 1.5 * s.p50Ms,
    }),
    figure(GROUP, `p99 latency, ${large} stored`, l.p99Ms, 'ms', baseline(s.p99Ms)),
    figure(GROUP, `requests/s, ${large} stored`, l.requestsPerSecond, 'req/s', baseline(s.requestsPerSecond)),
  ];
  return { figures, details: { large: rounds.a, small: rounds.b, planAtLarge: plan } };
}
