import { scrapeMetrics } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

describe('probes, metrics and HTTP hygiene', () => {
  it('when /healthz is asked, then 200', async () => {
    const res = await t.http.get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('when /readyz is asked with the database and bus up, then 200 with each check', async () => {
    const res = await t.http.get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ready',
      checks: { accepting: true, database: true, bus: true },
      events: { retrying: 0, oldestSeconds: 0, stuck: 0, causes: {} },
    });
  });

  it('when /metrics is asked after a request, then the metrics port has http_request_duration_seconds for that route, and the API port answers 404', async () => {
    await signUp(t);

    expect((await t.http.get('/metrics')).status).toBe(404);
    const res = await scrapeMetrics(t.service);

    expect(res.status).toBe(200);
    expect(res.text).toContain('http_request_duration_seconds');
    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/users\/signup"[^}]*status="201"/);
  });

  it('when any response is sent, then there is no x-powered-by and helmet headers are present', async () => {
    const res = await t.http.get('/api/users/currentuser');

    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
  });

  it('when a request carries x-request-id, then the response echoes it; without one, one is made', async () => {
    const given = await t.http.get('/healthz').set('x-request-id', 'req-abc.123');
    const made = await t.http.get('/healthz');

    expect(given.headers['x-request-id']).toBe('req-abc.123');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when the route is unknown, then 404 in the error shape', async () => {
    const res = await t.http.get('/api/users/nope');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Route not found: GET /api/users/nope' }] });
  });

  it.each([
    ['GET', '/api/users/signup'],
    ['GET', '/api/users/signin'],
    ['PUT', '/api/users/signout'],
    ['POST', '/api/users/currentuser'],
  ])('when %s %s uses the wrong method, then 404 in the error shape', async (method, path) => {
    const res = await t.http[method.toLowerCase() as 'get' | 'put' | 'post'](path);

    expect(res.status).toBe(404);
    expect(res.body.errors).toHaveLength(1);
  });
});
