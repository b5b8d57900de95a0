/**
 * Each service as its own process: the API port does not serve the metrics, the metrics port
 * serves them and nothing else, and under the test and `npm start` wiring (HOST=127.0.0.1)
 * neither port answers on any address but the loopback's own. 127.0.0.2 is the loopback
 * interface too, so a server on every interface answers there and one on 127.0.0.1 does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsConnection, metricValue } from '@ticketing/testkit';
import { RunningSystem, type ServiceName } from '../system.js';

const services: ServiceName[] = ['auth', 'expiration'];
let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start({ services });
}, 120_000);
afterAll(() => system?.stop());


describe.each(services)('the %s process', (service) => {
  it('when /metrics is asked on the API port, then 404 in the error shape; on the metrics port, the Prometheus text with the API\'s requests counted', async () => {
    await fetch(`${system.url(service)}/healthz`);
    const onApi = await fetch(`${system.url(service)}/metrics`);
    expect(onApi.status).toBe(404);
    expect(await onApi.json()).toEqual({ errors: [{ message: expect.any(String) }] });

    const scraped = await fetch(`${system.metricsUrl(service)}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scraped.text();
    expect(metricValue(text, 'http_request_duration_seconds_count', { service, status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^process_cpu_seconds_total/m);
  });

  it('when anything but /metrics is asked on the metrics port, then 404: no probes, no API there', async () => {
    for (const path of ['/healthz', '/readyz', '/api/users/currentuser']) {
      expect((await fetch(`${system.metricsUrl(service)}${path}`)).status, path).toBe(404);
    }
  });

  it('when run with HOST=127.0.0.1, then neither its API port nor its metrics port accepts connections on another address', async () => {
    for (const port of [system.ports[service], system.metricsPorts[service]]) {
      expect(await acceptsConnection('127.0.0.1', port)).toBe(true);
      expect(await acceptsConnection('127.0.0.2', port)).toBe(false);
    }
  });
});
