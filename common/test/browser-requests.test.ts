import { Router } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BaseConfig } from '../src/config/env.js';
import { createServiceApp } from '../src/service/create-app.js';
import type { TestService } from '@ticketing/testkit';
import { startFixtureService } from './fixtures/service.js';

/** Cross-site writes and bodies that are not JSON, refused by the app shell every service shares. */
let t: TestService<BaseConfig>;
let http: ReturnType<typeof supertest>;
let writes = 0;
beforeAll(async () => {
  t = await startFixtureService();
  const write = (_req: unknown, res: { status(code: number): { json(body: unknown): void } }) => {
    writes++;
    res.status(201).json({ ok: true });
  };
  const routes = Router()
    .post('/api/things', write)
    .put('/api/things/1', write)
    .patch('/api/things/1', write)
    .delete('/api/things/1', write)
    .get('/api/things', (_req, res) => {
      res.json([]);
    });
  http = supertest(createServiceApp(t.service, routes));
});
afterAll(() => t.close());
beforeEach(() => {
  writes = 0;
});

const refused = { errors: [{ message: 'Cross-site request refused' }] };
const notJson = { errors: [{ message: 'Request body must be JSON (Content-Type: application/json)' }] };

describe('a write from a browser', () => {
  it.each(['cross-site', 'same-site'])('when Sec-Fetch-Site is %s, then 403 in the error shape for every write method and nothing is written', async (site) => {
    for (const send of [() => http.post('/api/things'), () => http.put('/api/things/1'), () => http.patch('/api/things/1'), () => http.delete('/api/things/1')]) {
      const res = await send().set('Sec-Fetch-Site', site).set('Origin', 'https://evil.example').send({ name: 'x' });

      expect(res.status).toBe(403);
      expect(res.body).toEqual(refused);
    }
    expect(writes).toBe(0);
  });

  it.each(['same-origin', 'none'])('when Sec-Fetch-Site is %s, then it is served', async (site) => {
    const res = await http.post('/api/things').set('Sec-Fetch-Site', site).send({ name: 'x' });

    expect(res.status).toBe(201);
    expect(writes).toBe(1);
  });

  it('when an older browser sends only an Origin of another site, or "null", then 403 and nothing is written', async () => {
    for (const origin of ['https://evil.example', 'null', 'not a url']) {
      const res = await http.post('/api/things').set('Origin', origin).send({ name: 'x' });

      expect({ origin, status: res.status, body: res.body }).toEqual({ origin, status: 403, body: refused });
    }
    expect(writes).toBe(0);
  });

  it('when the Origin is the host asked for, directly or through the proxy (X-Forwarded-Host), then it is served', async () => {
    const direct = await http.post('/api/things').set('Host', 'localhost:8080').set('Origin', 'http://localhost:8080').send({});
    const proxied = await http
      .post('/api/things')
      .set('Host', '127.0.0.1:4001')
      .set('X-Forwarded-Host', 'ticketing.local')
      .set('Origin', 'https://ticketing.local')
      .send({});

    expect([direct.status, proxied.status]).toEqual([201, 201]);
  });

  it('when the Origin names the same host on another port, then 403', async () => {
    const res = await http.post('/api/things').set('Host', 'localhost:8080').set('Origin', 'http://localhost:3000').send({});

    expect(res.status).toBe(403);
  });

  it('when a request carries neither header (an API client, not a browser page), then it is served', async () => {
    const res = await http.post('/api/things').send({ name: 'x' });

    expect(res.status).toBe(201);
  });

  it('when a page of another site reads, then it is answered (reads change nothing; CORS keeps the answer from it)', async () => {
    const res = await http.get('/api/things').set('Sec-Fetch-Site', 'cross-site').set('Origin', 'https://evil.example');

    expect(res.status).toBe(200);
  });
});

describe('a write with a body', () => {
  it.each([
    ['text/plain', '{"name":"x"}'],
    ['application/x-www-form-urlencoded', 'name=x'],
    ['multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n'],
    ['application/xml', '<name>x</name>'],
    ['application/jsonp', '{"name":"x"}'],
  ])('when it is %s, then 415 in the error shape and nothing is written', async (type, raw) => {
    const res = await http.post('/api/things').set('Content-Type', type).send(raw);

    expect(res.status).toBe(415);
    expect(res.body).toEqual(notJson);
    expect(writes).toBe(0);
  });

  it('when it has bytes and no Content-Type, then 415', async () => {
    const res = await http
      .put('/api/things/1')
      .serialize((b: unknown) => b as string)
      .send('{"name":"x"}')
      .unset('Content-Type');

    expect(res.status).toBe(415);
    expect(writes).toBe(0);
  });

  it('when it is JSON, with or without a charset and in any case, then it is served', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const res = await http.post('/api/things').set('Content-Type', type).send('{"name":"x"}');
      expect({ type, status: res.status }).toEqual({ type, status: 201 });
    }
  });

  it('when a write has no body at all (like sign-out), then it is served', async () => {
    const res = await http.post('/api/things');

    expect(res.status).toBe(201);
  });
});
