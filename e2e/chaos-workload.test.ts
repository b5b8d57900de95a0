import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { INFRASTRUCTURE_FAILURE } from './chaos/invariants.js';
import { ChaosUser, sleep } from './chaos/workload.js';

describe("the chaos workload's sleep", () => {
  it('when the moment waited for has already passed, then it resolves at once, without a negative-timeout warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const started = Date.now();
      await sleep(-1500);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(Date.now() - started).toBeLessThan(100);
      expect(warnings.map((w) => w.name)).not.toContain('TimeoutNegativeWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a chaos user', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A service that answers each request with the next status of `statuses` (the last one from then on). */
  async function serviceAnswering(statuses: number[]) {
    let served = 0;
    server = createServer((_req, res) => {
      const status = statuses[Math.min(served++, statuses.length - 1)]!;
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { urlFor: (path: string) => `http://127.0.0.1:${port}${path}`, served: () => served };
  }

  it('when a service answers 5xx while its database is away, then the request is sent again until it is answered', async () => {
    const service = await serviceAnswering([500, 503, 201]);
    const res = await new ChaosUser(service.urlFor, 10_000).post('/api/tickets', { title: 't', price: 1 });
    expect(res.status).toBe(201);
    expect(service.served()).toBe(3);
  });

  it('when the outage outlasts its patience, then it gets the 5xx answer', async () => {
    const service = await serviceAnswering([503]);
    const res = await new ChaosUser(service.urlFor, 300).get('/api/orders');
    expect(res.status).toBe(503);
    expect(service.served()).toBeGreaterThan(1);
  });

  it('when a service refuses a request (4xx), then it is not sent again', async () => {
    const service = await serviceAnswering([409, 201]);
    expect((await new ChaosUser(service.urlFor, 10_000).post('/api/orders', {})).status).toBe(409);
    expect(service.served()).toBe(1);
  });
});

describe('the dead-letter reasons the chaos run counts as infrastructure failures', () => {
  it.each([
    'database "test_412e6f5398" is not currently accepting connections',
    'terminating connection due to administrator command',
    'Connection terminated unexpectedly',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'the database system is shutting down',
    'Query read timeout',
    'could not serialize access due to concurrent update',
    'deadlock detected',
    'ticket 5e0c version 5 arrived before version 4',
    'ticket 5e0c is not replicated yet',
    'ticket 5e0c still held by order 81aa',
  ])('when the reason is "%s", then it is one', (reason) => {
    expect(reason).toMatch(INFRASTRUCTURE_FAILURE);
  });

  it.each(['payload is not JSON', 'invalid payload: id Invalid UUID', 'order 81aa not found'])(
    'when the reason is poison ("%s"), then it is not one',
    (reason) => {
      expect(reason).not.toMatch(INFRASTRUCTURE_FAILURE);
    },
  );
});
