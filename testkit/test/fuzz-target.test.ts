import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '@ticketing/common';
import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponses } from '../src/fuzz/raw-http.js';
import { startFuzzTarget, type FuzzTarget } from '../src/fuzz/target.js';
import { createTestService, type TestService } from '../src/service.js';

/**
 * The fuzz kit's own bookkeeping: which answer belongs to which request, and which table
 * change a refusal is blamed for. A service whose refused POST /notes still writes a row
 * (allowed only for that path) plays the service under test.
 */
let dir: string;
let t: TestService;
let target: FuzzTarget;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fuzz-kit-'));
  mkdirSync(join(dir, 'meta'));
  writeFileSync(join(dir, '0000_notes.sql'), 'CREATE TABLE "notes" ("id" serial PRIMARY KEY);');
  writeFileSync(
    join(dir, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: 'postgresql', entries: [{ idx: 0, version: '7', when: 1, tag: '0000_notes', breakpoints: true }] }),
  );
  t = await createTestService({ name: 'fuzzkit', migrationsFolder: dir });
  const routes = Router().post('/notes', async (_req, res) => {
    await t.service.database.pool.query('insert into notes default values');
    res.status(400).json({ errors: [{ message: 'Counted, then refused' }] });
  });
  target = await startFuzzTarget(t.service, createServiceApp(t.service, routes), {
    allowedChanges: (request) => (request.method === 'POST' && request.url === '/notes' ? ['notes'] : []),
  });
});
afterAll(async () => {
  await target?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const raw = (lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');

describe('the fuzz target', () => {
  it('when a 100 Continue comes before the answer, then both are read, the 100 without a body', () => {
    const answers = parseResponses(
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'),
    );

    expect(answers.map((a) => [a.status, a.text])).toEqual([
      [100, ''],
      [400, '{}'],
    ]);
  });

  it('when a raw request is checked, then its url is its target without the HTTP version (so a change allowed for the path is allowed)', async () => {
    const body = '{}';
    await target.checkRaw(
      Buffer.concat([raw(['POST /notes HTTP/1.1', 'Host: x', 'Connection: close', 'Content-Type: application/json', `Content-Length: ${body.length}`]), Buffer.from(body)]),
    );
  });

  it('when a raw request with Expect: 100-continue is refused, then its real answer decides what it may change', async () => {
    const body = '{}';
    await target.checkRaw(
      Buffer.concat([
        raw(['POST /notes HTTP/1.1', 'Host: x', 'Connection: close', 'Expect: 100-continue', 'Content-Type: application/json', `Content-Length: ${body.length}`]),
        Buffer.from(body),
      ]),
    );
  });

  it('when a refused request changed a table it may not, then it alone is blamed, not the next request', async () => {
    const blamed = await target.check({ method: 'POST', url: '/notes?not-allowed', headers: {}, body: { contentType: 'application/json', bytes: Buffer.from('{}') } }).then(
      () => undefined,
      (err: Error) => err.message,
    );

    expect(blamed).toMatch(/refused requests changed tables: POST \/notes\?not-allowed/);
    await target.check({ method: 'GET', url: '/nothing-here', headers: {} });
  });
});
