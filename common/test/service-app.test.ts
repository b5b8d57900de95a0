import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { traceIdOf } from '@ticketing/contracts';
import type { BaseConfig } from '../src/config/env.js';
import { badRequest } from '../src/errors/app-error.js';
import { requireAuth, userOf } from '../src/http/current-user.js';
import { parseBody, parseId } from '../src/http/validate.js';
import { enqueueEvent } from '../src/outbox/enqueue.js';
import { createServiceApp } from '../src/service/create-app.js';
import { createMetricsApp } from '../src/service/metrics-app.js';
import { eventually, readStream, scrapeMetrics, sessionCookie, type TestService } from '@ticketing/testkit';
import { startFixtureService } from './fixtures/service.js';

let t: TestService<BaseConfig>;
let http: ReturnType<typeof supertest>;

beforeAll(async () => {
  t = await startFixtureService();
  const routes = Router()
    .post('/api/echo', (req, res) => {
      res.json(parseBody(req, z.object({ name: z.string().min(1, 'Name is required') })));
    })
    .get('/api/things/:id', (req, res) => {
      res.json({ id: parseId(req.params.id) });
    })
    .get('/api/me', requireAuth, (req, res) => {
      res.json(userOf(req));
    })
    .get('/api/refuse', () => {
      throw badRequest('Nope', 'thing');
    })
    .get('/api/bug', async () => {
      throw new Error('secret internal detail');
    })
    .post('/api/publish', async (_req, res) => {
      await t.service.transaction((tx) =>
        enqueueEvent(tx, 'expiration.complete', { orderId: randomUUID() }),
      );
      res.status(201).json({});
    });
  http = supertest(createServiceApp(t.service, routes));
});
afterAll(() => t.close());

describe('the shared HTTP shell', () => {
  it('when a route is unknown, then 404 in the error shape', async () => {
    const res = await http.get('/api/nowhere');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Route not found: GET /api/nowhere' }] });
  });

  it('when the JSON is malformed, then 400 in the error shape', async () => {
    const res = await http.post('/api/echo').set('Content-Type', 'application/json').send('{"name":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON in request body' }] });
  });

  it('when the body is over 100 kB, then 413 in the error shape', async () => {
    const res = await http.post('/api/echo').send({ name: 'x'.repeat(101 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
  });

  it('when the body is not a JSON object, then 400 (415 when it is not JSON at all)', async () => {
    for (const body of ['[1,2]', '"text"', 'null', '42']) {
      const res = await http.post('/api/echo').set('Content-Type', 'application/json').send(body);
      expect(res.status, body).toBe(400);
      expect(res.body.errors[0].message).toMatch(/JSON object|Malformed/);
    }
    const plain = await http.post('/api/echo').set('Content-Type', 'text/plain').send('name=x');
    expect(plain.status).toBe(415);
    expect(plain.body).toEqual({ errors: [{ message: 'Request body must be JSON (Content-Type: application/json)' }] });
  });

  it('when a field is invalid, then 400 names the field', async () => {
    const res = await http.post('/api/echo').send({ name: '' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Name is required', field: 'name' }] });
  });

  it('when a path id is not a UUID, then 404', async () => {
    expect((await http.get('/api/things/abc')).status).toBe(404);
    const id = randomUUID();
    expect((await http.get(`/api/things/${id.toUpperCase()}`)).body).toEqual({ id });
  });

  it('when an AppError is thrown, then its status and field are answered', async () => {
    const res = await http.get('/api/refuse');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Nope', field: 'thing' }] });
  });

  it('when a handler fails unexpectedly, then 500 with a generic message and no detail', async () => {
    const res = await http.get('/api/bug');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(res.text).not.toContain('secret');
  });

  it('when no session cookie is sent, then require-auth answers 401; with one, the user is known', async () => {
    const none = await http.get('/api/me');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    const user = { id: randomUUID(), email: 'a@example.com' };
    const res = await http.get('/api/me').set('Cookie', await sessionCookie(user));
    expect(res.body).toEqual(user);
  });

  it('when a validly signed session names a user id that is not a UUID, then it counts as signed out', async () => {
    const res = await http.get('/api/me').set('Cookie', await sessionCookie({ id: 'admin', email: 'a@example.com' }));
    expect(res.status).toBe(401);
  });

  it('then responses carry security headers, a request id, and no x-powered-by', async () => {
    const res = await http.get('/healthz').set('x-request-id', 'abc-123');
    expect(res.status).toBe(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await http.get('/healthz').set('x-request-id', 'bad id with spaces');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('then /readyz reports the database, the bus and the events being retried, and the metrics app the HTTP durations', async () => {
    const ready = await http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { accepting: true, database: true, bus: true },
      events: { retrying: 0, oldestSeconds: 0, stuck: 0, causes: {} },
    });
    await http.get('/api/refuse');
    const metrics = await scrapeMetrics(t.service);
    expect(metrics.contentType).toMatch(/text\/plain/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/refuse"[^}]*status="400"/);
  });

  it('when /metrics is asked on the API, then 404 in the error shape; the metrics app serves /metrics only', async () => {
    const onApi = await http.get('/metrics');
    expect(onApi.status).toBe(404);
    expect(onApi.body).toEqual({ errors: [{ message: expect.any(String) }] });
    const metricsApp = supertest(createMetricsApp(t.service));
    for (const path of ['/', '/healthz', '/readyz', '/api/me']) {
      const res = await metricsApp.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
    }
    expect((await metricsApp.post('/metrics')).status).toBe(404);
  });

  it('when a request carries a traceparent, then the events it causes continue that trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await http.post('/api/publish').set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`).expect(201);
    const [event] = await eventually(async () => {
      const got = await readStream(t.bus, 'expiration.complete');
      return got.length === 1 && got;
    });
    expect(traceIdOf(event!.headers.traceparent!)).toBe(traceId);
  });
});
