import autocannon, { type Instance } from 'autocannon';

/** One round of HTTP load from autocannon, reduced to the figures the report compares. */
export interface LoadRound {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 2xx, plus connection errors and timeouts: must be 0. */
  failures: number;
}

const running = new Set<Instance>();

export async function loadRound(url: string, seconds: number, connections: number): Promise<LoadRound> {
  const instance = autocannon({ url, duration: seconds, connections });
  running.add(instance);
  try {
    const result = await instance;
    return {
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      failures: result.non2xx + result.errors + result.timeouts,
    };
  } finally {
    running.delete(instance);
  }
}

/** On Ctrl-C: ends any load under way at once. */
export function stopAllLoad() {
  for (const instance of running) instance.stop();
}
