import supertest from 'supertest';
import { createMetricsApp, type ServiceContext } from '@ticketing/common';

/** GET /metrics from a service's metrics app (what its METRICS_PORT serves), in Prometheus text. */
export async function scrapeMetrics(service: ServiceContext): Promise<{ status: number; contentType: string; text: string }> {
  const res = await supertest(createMetricsApp(service)).get('/metrics');
  return { status: res.status, contentType: String(res.headers['content-type']), text: res.text };
}

/** The sum of the samples of `name` whose labels include `labels`, in Prometheus text (GET /metrics); 0 if none. */
export function metricValue(metricsText: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) sum += Number(match[3]);
  }
  return sum;
}
