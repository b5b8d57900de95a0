import { isUtf8 } from 'node:buffer';
import { appendFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import fc, { type Arbitrary } from 'fast-check';
import supertest from 'supertest';
import { expect } from 'vitest';
import { createHttpServer, type ServiceContext } from '@ticketing/common';
import type { RawBody } from './bodies.js';
import { parseResponses, sendRaw } from './raw-http.js';
import type { FuzzRequest } from './requests.js';

/** Cases for one property: FUZZ_RUNS times `share` when set (`npm run fuzz`), else `fallback`. */
export function fuzzRuns(fallback: number, share = 1): number {
  const fromEnv = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? Math.max(1, Math.round(fromEnv * share)) : fallback;
}

/** A test's time budget for `runs` cases at about `msPerCase` each, on a loaded machine. */
export const fuzzTimeout = (runs: number, msPerCase = 60) => 60_000 + runs * msPerCase;

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request and its answer; `sent` is the generated request, when it was one (not raw bytes). */
interface Answered {
  request: { method: string; url: string };
  response: FuzzResponse;
  sent?: FuzzRequest;
}

const summary = ({ request, response }: Answered) =>
  `${request.method} ${request.url.slice(0, 200)} -> ${response.status} ${response.text.slice(0, 300)}`;

export interface FuzzStats {
  requests: number;
  byStatus: Record<string, number>;
  serverErrors: number;
  violations: number;
}

export interface FuzzTarget {
  /** Sends `request` and checks the answer and the tables; throws (and counts) any violation. */
  check(request: FuzzRequest): Promise<void>;
  /** Sends raw bytes on a new connection and checks every answer the server gives. */
  checkRaw(bytes: Buffer): Promise<void>;
  /** Runs `requests` as a property for `numRuns` cases. */
  run(requests: Arbitrary<FuzzRequest>, numRuns: number): Promise<void>;
  /** The same, with 2 to 6 requests sent at once per case; the tables are checked once all are answered. */
  runTogether(requests: Arbitrary<FuzzRequest>, numRuns: number): Promise<void>;
  /** Raw requests (see rawRequests) as a property for `numRuns` cases. */
  runRaw(requests: Arbitrary<Buffer>, numRuns: number): Promise<void>;
  stats: FuzzStats;
  /** Checks the process still answers, stops the server and reports the counts (to FUZZ_REPORT, if set). */
  close(): Promise<void>;
}

export interface FuzzTargetOptions {
  /**
   * Tables a refused request may change on purpose (e.g. a failed sign-in is recorded for the
   * rate limit). Every other table must be exactly as before.
   */
  allowedChanges?: (request: { method: string; url: string }, response: FuzzResponse) => string[];
  /** Checks an accepted request did what it said, e.g. stored the text it was sent, not another. */
  onAccepted?: (request: FuzzRequest, response: FuzzResponse) => void;
}

const plainJson = (body: RawBody | undefined): body is RawBody =>
  !!body && !body.contentEncoding && /^application\/json(; charset=utf-8)?$/i.test(body.contentType ?? '');

/** The JSON a request sent, when it went as plain UTF-8 JSON (so the server read what was meant); else undefined. */
export function sentJson(request: FuzzRequest): unknown {
  if (!plainJson(request.body)) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(request.body.bytes));
  } catch {
    return undefined;
  }
}

/** For a route that reads its body: a JSON body that is not UTF-8 must be refused, not read with U+FFFD in place of its bytes. */
export function expectUtf8IfRead(request: FuzzRequest) {
  if (plainJson(request.body)) expect(isUtf8(request.body.bytes), 'accepted a JSON body that is not UTF-8').toBe(true);
}

/**
 * Serves `app` the way main.ts does (the shared HTTP server, on an ephemeral port), so requests
 * go through node's parser, express and the service's routes, and checks each answer.
 */
export async function startFuzzTarget(service: ServiceContext, app: Express, options: FuzzTargetOptions = {}): Promise<FuzzTarget> {
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const http = supertest(server);
  const tables = await tableSnapshot(service);
  let last = await tables.take();
  const stats: FuzzStats = { requests: 0, byStatus: {}, serverErrors: 0, violations: 0 };

  /** Counts an answer and checks what any answer must be: below 500, and a 4xx in the error shape. */
  function checkAnswer({ request, response }: Answered) {
    stats.requests++;
    const cls = `${Math.floor(response.status / 100)}xx`;
    stats.byStatus[cls] = (stats.byStatus[cls] ?? 0) + 1;
    if (response.status >= 500) stats.serverErrors++;
    const what = summary({ request, response });
    expect(response.status, what).toBeLessThan(500);
    if (response.status >= 400) {
      expect(String(response.headers['content-type']), what).toMatch(/^application\/json\b/);
      if (request.method !== 'HEAD') expectErrorShape(response.text, what);
    }
  }

  /**
   * Checks requests that were answered together: each answer, then the tables, which must be as
   * before when every one of them was refused (all but the tables a refusal may change).
   */
  async function verify(answered: Answered[]) {
    try {
      const real = answered.filter((a) => a.response.status >= 200); // 100 Continue: the real answer follows
      for (const a of real) checkAnswer(a);
      const [before, now] = [last, await tables.take()];
      // Taken as the new baseline even when this case fails: fast-check then shrinks it, and a
      // stale one would blame every smaller case for this one's change.
      last = now;
      if (real.every((a) => a.response.status >= 400)) {
        const allowed = new Set(real.flatMap((a) => options.allowedChanges?.(a.request, a.response) ?? []));
        const strip = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([t]) => !allowed.has(t)));
        expect(strip(now), `refused requests changed tables: ${answered.map(summary).join('; ')}`).toEqual(strip(before));
      }
      for (const a of real) if (a.response.status < 400 && a.sent) options.onAccepted?.(a.sent, a.response);
    } catch (err) {
      stats.violations++;
      throw err;
    }
  }

  async function send(request: FuzzRequest): Promise<Answered> {
    let call = http[request.method.toLowerCase() as 'get'](request.url).timeout(15_000);
    for (const [name, value] of Object.entries(request.headers)) call = call.set(name, value);
    if (request.body) {
      if (request.body.contentType !== undefined) call = call.set('Content-Type', request.body.contentType);
      if (request.body.contentEncoding !== undefined) call = call.set('Content-Encoding', request.body.contentEncoding);
      // Sent as the bytes given: without a serializer of its own, superagent would re-encode a Buffer as JSON.
      const asIs = ((bytes: Buffer) => bytes) as unknown as (body: unknown) => string;
      call = call.serialize(asIs).send(request.body.bytes);
    }
    // Raw text: the checks parse it themselves, so a broken JSON answer is a finding, not a client error.
    const res = await call.buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
    });
    return { request, sent: request, response: { status: res.status, headers: res.headers, text: String(res.body ?? '') } };
  }

  const check = async (request: FuzzRequest) => verify([await send(request)]);

  const checkTogether = async (requests: FuzzRequest[]) => verify(await Promise.all(requests.map(send)));

  const checkRaw = async (bytes: Buffer) => {
    const answer = await sendRaw(port, bytes);
    const requestLine = bytes.subarray(0, Math.min(bytes.indexOf(0x0a) >>> 0, 200)).toString('latin1').trim();
    const [method = '', ...rest] = requestLine.split(' ');
    // The target alone, without the version ("HTTP/1.1"), as a generated request's url would be.
    const request = { method, url: rest.join(' ').replace(/ HTTP\/.*$/i, '') };
    // node may close a connection without a word when the bytes are not HTTP at all; anything it does say must keep the contract.
    await verify(parseResponses(answer).map((response) => ({ request, response })));
  };

  return {
    check,
    checkRaw,
    stats,
    // Each run starts from the tables as they are now: other tests may have changed them.
    async run(requests, numRuns) {
      last = await tables.take();
      await fc.assert(fc.asyncProperty(requests, check), { numRuns });
    },
    async runTogether(requests, numRuns) {
      last = await tables.take();
      // Different requests at once, and the same one several times (a double submit, racing buyers).
      const batches = fc.oneof(
        fc.array(requests, { minLength: 2, maxLength: 6 }),
        fc.tuple(requests, fc.integer({ min: 2, max: 5 })).map(([r, n]) => Array.from({ length: n }, () => r)),
      );
      await fc.assert(fc.asyncProperty(batches, checkTogether), { numRuns });
    },
    async runRaw(requests, numRuns) {
      last = await tables.take();
      await fc.assert(fc.asyncProperty(requests, checkRaw), { numRuns });
    },
    async close() {
      try {
        const alive = await http.get('/healthz');
        expect(alive.status).toBe(200);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        reportStats(service.name, stats);
      }
    },
  };
}

/** `{"errors":[{"message": non-blank string, "field"?: string}, ...]}`, at least one entry, nothing else. */
export function expectErrorShape(text: string, what = 'error body') {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${what}`);
  }
  expect(body, what).toEqual({ errors: expect.any(Array) });
  const errors = (body as { errors: unknown[] }).errors;
  expect(errors.length, what).toBeGreaterThan(0);
  for (const e of errors) {
    expect(e, what).toEqual(
      Object.keys(e as object).includes('field')
        ? { message: expect.stringMatching(/\S/), field: expect.any(String) }
        : { message: expect.stringMatching(/\S/) },
    );
  }
}

/**
 * A cheap fingerprint of every table in the service's schema: row count and an md5 of the rows.
 * `sent_at` is left out: the relay marks outbox rows sent in the background, whatever the request.
 */
async function tableSnapshot(service: ServiceContext) {
  const { rows } = await service.database.pool.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const query = rows
    .map(
      ({ name }) =>
        `select '${name}' as name, count(*) || ':' || coalesce(md5(string_agg(r, '|' order by r)), '') as sum ` +
        `from (select (to_jsonb(x) - 'sent_at')::text as r from "${name}" x) s`,
    )
    .join(' union all ');
  return {
    async take(): Promise<Record<string, string>> {
      const result = await service.database.pool.query<{ name: string; sum: string }>(query);
      return Object.fromEntries(result.rows.map((r) => [r.name, r.sum]));
    },
  };
}

/** One JSON line per target into FUZZ_REPORT, which `npm run fuzz` adds up. */
function reportStats(service: string, stats: FuzzStats) {
  const file = process.env.FUZZ_REPORT;
  // One short synchronous append: lines from test files running at once do not interleave.
  if (file) appendFileSync(file, JSON.stringify({ service, ...stats }) + '\n');
}
