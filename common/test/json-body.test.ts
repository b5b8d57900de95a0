import { Router } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { BaseConfig } from '../src/config/env.js';
import { parseBody } from '../src/http/validate.js';
import { createServiceApp } from '../src/service/create-app.js';
import type { TestService } from '@ticketing/testkit';
import { startFixtureService } from './fixtures/service.js';

let t: TestService<BaseConfig>;
let http: ReturnType<typeof supertest>;
beforeAll(async () => {
  t = await startFixtureService();
  const routes = Router().post('/api/echo', (req, res) => {
    res.json(parseBody(req, z.object({ name: z.string() })));
  });
  http = supertest(createServiceApp(t.service, routes));
});
afterAll(() => t.close());

const post = (bytes: Buffer, type = 'application/json') =>
  http.post('/api/echo').set('Content-Type', type).serialize((b: unknown) => b as string).send(bytes);
const withBytes = (bad: number[]) => Buffer.concat([Buffer.from('{"name":"a'), Buffer.from(bad), Buffer.from('b"}')]);

describe('JSON request bodies', () => {
  it.each([
    ['a stray byte', [0xff]],
    ['a continuation byte on its own', [0x80]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a character cut short', [0xe2, 0x82]],
  ])('when a UTF-8 body holds %s, then 400 in the error shape instead of reading it with U+FFFD', async (_case, bad) => {
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const res = await post(withBytes(bad), type);

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ message: 'Request body is not valid UTF-8' }] });
    }
  });

  it('when a body is valid UTF-8, then it is read as sent', async () => {
    const res = await post(Buffer.from('{"name":"Ünïcödé 🎫"}'));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'Ünïcödé 🎫' });
  });
});
