import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Server } from 'node:http';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import type { Express } from 'express';
import fc, { type Arbitrary } from 'fast-check';
import { importPKCS8, SignJWT } from 'jose';
import supertest from 'supertest';
import { expect } from 'vitest';
import { createHttpServer } from '../service/http-server.js';
import type { ServiceContext } from '../service/context.js';
import { SESSION_COOKIE, type CurrentUser } from '../session/session-token.js';
import { sessionCookie, testKeys } from './index.js';

/**
 * Fuzzing kit: fast-check arbitraries for hostile HTTP input, and a target that sends each
 * generated request to a service's real app (real PostgreSQL, real NATS) and checks what every
 * answer must keep to (DESIGN.md §3): never a 5xx, every 4xx in the error shape
 * `{"errors":[{"message","field"?}]}`, and a refused request leaves every table as it was.
 *
 * Cases per property: FUZZ_RUNS (times the property's share) if set (`npm run fuzz` sets it),
 * else the test's own small count. fast-check picks the seed and prints it with any counterexample, for replay.
 */
export function fuzzRuns(fallback: number, share = 1): number {
  const fromEnv = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? Math.max(1, Math.round(fromEnv * share)) : fallback;
}

/** A test's time budget for `runs` cases at about `msPerCase` each, on a loaded machine. */
export const fuzzTimeout = (runs: number, msPerCase = 60) => 60_000 + runs * msPerCase;

// ---------------------------------------------------------------------------------------------
// Values

/** Strings that are not well-formed UTF-16: they cannot be stored or hashed as given. */
export const unpairedSurrogates = fc.constantFrom('\uD800', 'a\uDFFFb', 'Gig \uDBFF', '\uD83D', '\uDE00x', '\uDC00\uD800');

const notableStrings = fc.constantFrom(
  '', ' ', '   ', '\u0000', 'a\u0000b', '\t\n\r', '\u007f', '\u200B', '\u202Egnp.exe', '\uFEFF', 'e\u0301',
  'Ω≈ç√∫', '🎫🎟️', '👩‍👩‍👧', 'ﷺ', '𝕿𝖎𝖈𝖐𝖊𝖙', 'ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ', '\uFFFD', '\uFFFF',
  "'; drop table tickets; --", '" or 1=1 --', '{{7*7}}', '${7*7}', '<script>alert(1)</script>',
  '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'true', '[]', '{}',
  'NaN', 'Infinity', '-0', '12.50', '1e21', '0x10', '  12  ',
  'tok_visa', ' tok_visa', 'TOK_VISA', 'tok_chargeDeclined', 'tok_mastercard\u0000',
  'someone@example.com', ' Someone@Example.COM ', 'a@b', '@example.com', 'a@b.c\u0000', 'ä@example.com',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
);

/** Any strings a client could send: unicode of every kind, control characters, lone surrogates, huge ones. */
export const awkwardString: Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: notableStrings },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: unpairedSurrogates },
  { weight: 1, arbitrary: fc.uuid() },
  // Lengths around the limits (200 title, 128 password, 254 email, 255 token) and far past them.
  { weight: 1, arbitrary: fc.constantFrom(129, 199, 200, 201, 254, 255, 256, 5_000).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(60_000, 110_000).map((n) => 'é'.repeat(n)) },
);

/** Numbers at the edges: huge, tiny, negative zero, binary fractions, more than two decimals. */
export const awkwardNumber: Arbitrary<number> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      0, -0, 1, -1, 0.01, 0.001, 0.1 + 0.2, 12.5, 12.505, 19.99, 1.005, 1e-7, 1e21, 1e308, -1e308,
      Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE, 999_999.99, 1_000_000, 1_000_000.01, 2 ** 31,
    ),
  },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
);

/** Numbers written as strings, which a JSON API must not take for numbers. */
export const numberLikeString = fc.constantFrom('12.50', '10', 'NaN', 'Infinity', '-Infinity', '-0', '1e3', '0x1F', '', ' 5 ');

/** Any JSON value: the awkward scalars above, and arrays and objects nested a few levels. */
export const awkwardValue: Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: awkwardString },
  { weight: 3, arbitrary: awkwardNumber },
  { weight: 1, arbitrary: numberLikeString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.nat({ max: 2_000 }).map(nested) },
);

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** A value close to a valid one: the same text with something unstorable or invisible added, the same number a little off or as a string. */
function nearMiss(valid: unknown): Arbitrary<unknown> {
  if (typeof valid === 'string') {
    return fc.oneof(
      fc.tuple(unpairedSurrogates, fc.boolean()).map(([bad, before]) => (before ? bad + valid : valid + bad)),
      fc.constantFrom(` ${valid} `, valid.toUpperCase(), `${valid}\u0000`, `${valid}\u0007`, `\u202E${valid}`, `${valid}\u200B`, `${valid}\uFFFF`, `${valid}\uD83D\uDE00`, valid.repeat(60)),
    );
  }
  if (typeof valid === 'number') {
    return fc.constantFrom(-valid, valid + 0.001, valid * 1e21, valid + 0.1 + 0.2, String(valid), valid.toFixed(2), [valid], { value: valid });
  }
  return fc.constant(valid);
}

/** Keys a body should never act on, including the ones that poison prototypes. */
const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'userId', 'version', 'orderId', 'isAdmin', 'status', 'price '),
  fc.string({ maxLength: 10 }),
);

/**
 * A body built from a valid one: each field valid, missing or replaced by any value, maybe with
 * extra fields; or no object at all (an array, a string, a number, null).
 */
export function fuzzedObject(fields: Record<string, Arbitrary<unknown>>): Arbitrary<unknown> {
  const missing = Symbol('missing');
  const field = (valid: Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 4, arbitrary: valid },
      { weight: 3, arbitrary: valid.chain(nearMiss) },
      { weight: 3, arbitrary: awkwardValue },
      { weight: 1, arbitrary: fc.constant(missing) },
    );
  const names = Object.keys(fields);
  const object = fc
    .tuple(fc.tuple(...names.map((n) => field(fields[n]!))), fc.array(fc.tuple(extraKey, awkwardValue), { maxLength: 3 }))
    .map(([values, extras]) => {
      const body: Record<string, unknown> = {};
      // defineProperty, so a key like `__proto__` becomes a real field of the JSON.
      for (const [key, value] of extras) Object.defineProperty(body, key, { value, enumerable: true, writable: true, configurable: true });
      names.forEach((name, i) => {
        if (values[i] !== missing) Object.defineProperty(body, name, { value: values[i], enumerable: true, configurable: true, writable: true });
      });
      return body;
    });
  return fc.oneof({ weight: 6, arbitrary: object }, { weight: 1, arbitrary: awkwardValue });
}

// ---------------------------------------------------------------------------------------------
// Bodies on the wire

export interface RawBody {
  contentType?: string;
  contentEncoding?: string;
  bytes: Buffer;
}

/** JSON text with the lone surrogates JSON.stringify escapes left as they are. */
const json = (value: unknown) => JSON.stringify(value) ?? 'null';

/** Byte sequences that are not UTF-8: a stray continuation, overlong forms, an encoded surrogate, a cut-off character. */
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]),
  Buffer.from([0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xfe, 0xfe]),
);

/** Splices invalid bytes into the JSON text of `value`, inside its first string when there is one. */
function withInvalidUtf8(value: unknown, bad: Buffer): Buffer {
  const text = Buffer.from(json(value));
  const quote = text.indexOf(0x22);
  const at = quote >= 0 ? quote + 1 : text.length;
  return Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]);
}

/** JSON that is not: cut short, trailing junk, JavaScript-only syntax, numbers JSON has no room for. */
const malformedJson = fc.oneof(
  fc.constantFrom(
    '{', '{"title":', '{"title":"x",}', "{'title':'x'}", '{title:"x"}', '{"price":1e400,"title":"x"}', '{"price":-1e400}',
    '{"price":NaN}', '{"price":Infinity}', '{"price":0x10}', '{"price":012}', '{"price":.5}', '{"price":12.50,"title":"t"}',
    '{"a":1}{"b":2}', '[1,2', '"unterminated', 'nul', 'true false', '\uFEFF{"title":"x","price":1}', '{"title":"\\ud800","price":1}',
    '{"title":"\\u0000","price":1}', '{"email":"\\uDFFF@example.com","password":"12345678"}', '{"__proto__":{"admin":true}}',
    '{"title":"x","title":"y","price":1,"price":2}', '{"ticketId":"' + '0'.repeat(36) + '"}',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.nat({ max: 3_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.nat({ max: 3_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
);

const jsonTypes = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/JSON', 'Application/Json; Charset=UTF-8',
  'application/json; charset=latin1', 'application/json; charset=utf-16le', 'application/json; charset=utf-7',
  'application/json; charset=nonsense', 'application/json; boundary=x', 'application/json;;;', 'application/vnd.api+json',
  'application/merge-patch+json',
);
const otherTypes = fc.constantFrom(
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/xml', 'application/octet-stream', 'application', '*/*', 'json', ';', 'text/html; charset=utf-8',
);

/** `value` sent every way a client might: as JSON or not, with any content type or none, compressed or not, broken. */
export function encodedBody(value: Arbitrary<unknown>): Arbitrary<RawBody> {
  return fc.oneof(
    { weight: 12, arbitrary: value.map((v) => ({ contentType: 'application/json', bytes: Buffer.from(json(v)) })) },
    { weight: 2, arbitrary: fc.tuple(value, jsonTypes).map(([v, contentType]) => ({ contentType, bytes: Buffer.from(json(v)) })) },
    { weight: 1, arbitrary: fc.tuple(value, otherTypes).map(([v, contentType]) => ({ contentType, bytes: Buffer.from(json(v)) })) },
    { weight: 1, arbitrary: value.map((v) => ({ contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from(formOf(v)) })) },
    { weight: 1, arbitrary: value.map((v) => ({ bytes: Buffer.from(json(v)) })) },
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json', bytes: Buffer.alloc(0) }) },
    { weight: 2, arbitrary: malformedJson.map((text) => ({ contentType: 'application/json', bytes: Buffer.from(text) })) },
    { weight: 2, arbitrary: fc.tuple(value, invalidUtf8).map(([v, bad]) => ({ contentType: 'application/json', bytes: withInvalidUtf8(v, bad) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ contentType: 'application/json', bytes: Buffer.from(b) })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(value, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', 'x-unknown'))
        .map(([v, contentEncoding]) => ({ contentType: 'application/json', contentEncoding, bytes: Buffer.from(json(v)) })),
    },
  );
}

function formOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([k, v]) => `${encodeBytes(k)}=${encodeBytes(typeof v === 'string' ? v : json(v))}`)
    .join('&');
}

/** Percent-encodes the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD, as any client would send it). */
export function encodeBytes(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Paths, query strings, headers

/**
 * A path segment where an id goes: known ids (any case), unknown UUIDs, and everything that is
 * not a UUID. `known` may be a function, for ids the run itself creates (read when a case is made).
 */
export function pathId(known: string[] | (() => string[])): Arbitrary<string> {
  const current = typeof known === 'function' ? known : () => known;
  const knownIds = fc.tuple(fc.nat(), fc.uuid()).map(([i, fallback]) => {
    const ids = current();
    return ids.length ? ids[i % ids.length]! : fallback;
  });
  return fc.oneof(
    { weight: 5, arbitrary: knownIds },
    { weight: 1, arbitrary: knownIds.map((id) => id.toUpperCase()) },
    { weight: 3, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.uuid({ version: [1, 4, 7] }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '1', '-1', '0', 'null', 'undefined', '%2F', '..%2F..%2Fetc%2Fpasswd',
        '%00', '%E0%A4%A', '%', '%25', '%ZZ', '%C0%AF', '%ED%A0%80', '.', '..', '%2E%2E', 'a%2Fb', '%20', '%0A', '%3Cscript%3E',
        '{00000000-0000-0000-0000-000000000000}', '00000000000000000000000000000000', `${randomUUID()}%00`, `${randomUUID()}.json`,
        `${randomUUID()}%2F..`, `${randomUUID()} `.replace(' ', '%20'), 'x'.repeat(1_000), 'x'.repeat(20_000),
      ),
    },
    { weight: 2, arbitrary: awkwardString.filter((s) => s.length < 2_000).map(encodeBytes) },
    { weight: 1, arbitrary: knownIds.map((id) => `${id}/extra`) },
  );
}

/** A query string from `params` (name -> valid values), each maybe repeated, bracketed, empty or replaced. */
export function queryString(params: Record<string, Arbitrary<string>>): Arbitrary<string> {
  const names = Object.keys(params);
  const pair = fc.oneof(
    ...names.map((name) =>
      fc.tuple(
        fc.oneof({ weight: 6, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: fc.constantFrom(`${name}[]`, `${name}[a]`, name.toUpperCase(), `${name}.x`) }),
        fc.oneof(
          { weight: 4, arbitrary: params[name]! },
          { weight: 3, arbitrary: awkwardString.map(String) },
          { weight: 1, arbitrary: awkwardNumber.map(String) },
        ),
      ),
    ),
    fc.tuple(fc.string({ maxLength: 8 }), awkwardString),
  );
  return fc.array(pair, { maxLength: 4 }).map((pairs) =>
    pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeBytes(k)}=${encodeBytes(v)}`).join('&')}`,
  );
}

/** Header values node's client will send: printable ASCII and tab. */
const headerText = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
  fc.constantFrom('', ' ', 'x'.repeat(4_000), '../../', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '127.0.0.1, ::1, evil'),
);

/** Headers a request may carry besides its content type and cookie; some change how node and express treat it. */
export const extraHeaders: Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom(
    'x-request-id', 'traceparent', 'accept', 'accept-encoding', 'accept-language', 'x-forwarded-for', 'x-forwarded-proto',
    'x-forwarded-host', 'origin', 'referer', 'if-none-match', 'if-modified-since', 'range', 'user-agent', 'authorization',
    'x-http-method-override', 'forwarded', 'content-language',
  ),
  headerText,
  { maxKeys: 3 },
);

// ---------------------------------------------------------------------------------------------
// Sessions

/** Session tokens that must all count as signed out: expired, foreign key, `alg: none`, wrong claims, mangled. */
export async function invalidSessionCookies(user: CurrentUser): Promise<string[]> {
  const ours = await importPKCS8(testKeys.privateKeyPem, 'EdDSA');
  const foreign = generateKeyPairSync('ed25519').privateKey;
  const now = Math.floor(Date.now() / 1000);
  const token = (claims: Record<string, unknown>, options: { key?: typeof ours | typeof foreign; exp?: number; iat?: number; sub?: string; iss?: string; aud?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setSubject(options.sub ?? user.id)
      .setIssuer(options.iss ?? 'ticketing-auth')
      .setAudience(options.aud ?? 'ticketing')
      .setIssuedAt(options.iat ?? now - 60)
      .setExpirationTime(options.exp ?? now + 3_600)
      .sign(options.key ?? ours);
  const valid = (await sessionCookie(user)).slice(SESSION_COOKIE.length + 1);
  const [header, payload] = valid.split('.');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const tokens = [
    await token({ email: user.email }, { exp: now - 10, iat: now - 100 }), // expired
    await token({ email: user.email }, { key: foreign }),
    await token({ email: user.email }, { iss: 'someone-else' }),
    await token({ email: user.email }, { aud: 'elsewhere' }),
    await token({ email: user.email }, { sub: 'admin' }),
    await token({ email: 42 }),
    await token({}),
    `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    `${b64({ alg: 'HS256', typ: 'JWT' })}.${payload}.${Buffer.from('sig').toString('base64url')}`,
    `${header}.${payload}.`,
    `${header}.${payload}.${'A'.repeat(86)}`,
    `${valid}x`,
    valid.split('.').reverse().join('.'),
  ];
  return [
    ...tokens.map((t) => `${SESSION_COOKIE}=${t}`),
    `${SESSION_COOKIE}=`,
    `${SESSION_COOKIE}=garbage`,
    `${SESSION_COOKIE}=%E0%A4%A`,
    `${SESSION_COOKIE}="${valid}`,
    `${SESSION_COOKIE}=j:{"id":"${user.id}"}`,
    `${SESSION_COOKIE}=s:${valid}`,
    `${SESSION_COOKIE}=${'a'.repeat(8_000)}`,
    `${SESSION_COOKIE}=garbage; ${SESSION_COOKIE}=${valid}`,
    `SESSION=${valid}`,
    '=;;; ;=',
  ];
}

/**
 * A Cookie header, or none: mostly one of `valid` (weighted first to last as given), else a
 * token that must count as signed out, else random text.
 */
export function cookieHeader(valid: string[], invalid: string[]): Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...invalid) },
    { weight: 1, arbitrary: headerText },
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface FuzzRequest {
  method: string;
  /** Path and query, already percent-encoded. */
  url: string;
  headers: Record<string, string>;
  body?: RawBody;
}

export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route, with `:id` where a path id goes. */
  path: string;
  /** A valid body's fields; each request sends a mutation of it. */
  body?: Record<string, Arbitrary<unknown>>;
  /** Query parameters with valid values; each request sends a mutation of them. */
  query?: Record<string, Arbitrary<string>>;
  /** How often it is chosen; by default 4 with a body (most to get wrong), else 2. */
  weight?: number;
}

/** The probes and metrics every service answers, outside /api. */
export const probeEndpoints: Endpoint[] = [
  { method: 'GET', path: '/healthz', weight: 1 },
  { method: 'GET', path: '/readyz', weight: 1 },
  { method: 'GET', path: '/metrics', weight: 1 },
];

const withCookie = (headers: Record<string, string>, cookie: string | undefined) =>
  cookie === undefined ? headers : { ...headers, cookie };

const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');

/**
 * Requests to `endpoints`: mostly the endpoint's own method, with path ids from `ids`, a Cookie
 * header from `cookies`, a mutated body and query, and a few extra headers; some to unknown paths.
 */
export function requestsTo(
  endpoints: Endpoint[],
  parts: { ids: Arbitrary<string>; cookies: Arbitrary<string | undefined> },
): Arbitrary<FuzzRequest> {
  const toEndpoint = (e: Endpoint) =>
    fc
      .record({
        method: fc.oneof({ weight: 9, arbitrary: fc.constant(e.method) }, { weight: 1, arbitrary: methods }),
        id: parts.ids,
        query: e.query ? queryString(e.query) : fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryString({ x: fc.string() }) }),
        body: e.body
          ? fc.option(encodedBody(fuzzedObject(e.body)), { freq: 12 })
          : fc.option(encodedBody(awkwardValue), { freq: 1 }),
        cookie: parts.cookies,
        headers: extraHeaders,
      })
      .map(({ method, id, query, body, cookie, headers }): FuzzRequest => ({
        method,
        url: e.path.replace(':id', id) + query,
        headers: withCookie(headers, cookie),
        ...(body ? { body } : {}),
      }));
  const unknown = fc
    .record({
      method: methods,
      path: fc.oneof(
        fc.constantFrom('/', '/api', '/api/', '/api/tickets/', '/api/users', '/api/users/', '/api/orders/', '//api/tickets', '/API/TICKETS', '/api/tickets/%2E%2E/orders', '/healthz/', '/metrics.json', '/%', '/%E0%A4%A', '/api/users/currentuser/..%2F..%2F'),
        fc.string({ maxLength: 30 }).map((s) => `/api/${encodeBytes(s)}`),
      ),
      cookie: parts.cookies,
    })
    .map(({ method, path, cookie }): FuzzRequest => ({ method, url: path, headers: withCookie({}, cookie) }));
  return fc.oneof(
    ...endpoints.map((e) => ({ weight: e.weight ?? (e.body ? 4 : 2), arbitrary: toEndpoint(e) })),
    { weight: 1, arbitrary: unknown },
  );
}

// ---------------------------------------------------------------------------------------------
// Requests at the HTTP parser: bytes node's HTTP server itself must make sense of

const rawMethods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'GETT', 'PRI', 'CONNECT', 'TRACE', 'PROPFIND', '', 'G ET', 'POST\u0000');
const rawVersions = fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1', 'http/1.1', 'HTTP/1.1 extra', '');

/**
 * Whole requests as bytes, most with something wrong at the HTTP level: framing (missing,
 * negative, duplicate or lying Content-Length, Content-Length with chunked, bad chunks), header
 * syntax (no colon, spaces before the colon, control characters, folding, bare LF, oversized),
 * request line (unknown or lower-case methods, odd versions, absolute or asterisk targets).
 * Every request asks the server to close the connection, so the answer ends with it.
 */
export function rawRequests(paths: string[], body: Arbitrary<unknown>): Arbitrary<Buffer> {
  const headerLines = fc.array(
    fc.constantFrom(
      'Content-Type: application/json', 'Content-Type: text/plain', 'Content-Type: application/json; charset=utf-16',
      'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: identity', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: x',
      'Content-Length: -1', 'Content-Length: abc', 'Content-Length: 1, 2', 'Content-Length: 0', 'Content-Length: 99999999999999999999',
      'Content-Encoding: gzip', 'Expect: 100-continue', 'Expect: the-unexpected', 'Host:', 'Host: a\r\nHost: b',
      'X-No-Colon', 'X-Space : value', ' X-Leading-Space: v', 'X-Fold: a\r\n folded', 'X-Ctl: a\u0001b', 'X-Nul: \u0000',
      'X-Del: \u007f', 'X-Huge: ' + 'h'.repeat(20_000), 'Cookie: session=%E0',
      'X-Forwarded-For: \u00ff\u00fe', 'X-Request-Id: ../../x',
    ),
    { maxLength: 3 },
  );
  const target = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...paths) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'http://example.com/api/tickets', '/api/tickets#frag', '/api tickets', '/api/\u00e9', '/api/%', 'api/tickets', '/api/tickets?%', '') },
  );
  return fc
    .record({
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') }, { weight: 1, arbitrary: rawMethods }),
      target,
      version: fc.oneof({ weight: 6, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: rawVersions }),
      headers: headerLines,
      body: fc.option(encodedBody(body), { freq: 2 }),
      framing: fc.constantFrom('length', 'length', 'short-length', 'chunked', 'bad-chunk', 'none'),
      eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n'),
    })
    .map(({ method, target, version, headers, body, framing, eol }) => {
      const bytes = body?.bytes ?? Buffer.alloc(0);
      const lines = [`${method} ${target} ${version}`.trim(), 'Host: 127.0.0.1', 'Connection: close', ...headers];
      if (body?.contentType) lines.push(`Content-Type: ${body.contentType}`);
      let payload = bytes;
      if (framing === 'length') lines.push(`Content-Length: ${bytes.length}`);
      if (framing === 'short-length') lines.push(`Content-Length: ${Math.max(0, bytes.length - 3)}`);
      if (framing === 'chunked' || framing === 'bad-chunk') {
        lines.push('Transfer-Encoding: chunked');
        const size = framing === 'chunked' ? bytes.length.toString(16) : 'zz';
        payload = Buffer.concat([Buffer.from(`${size}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')]);
      }
      return Buffer.concat([Buffer.from(lines.join(eol) + eol + eol, 'latin1'), payload]);
    });
}

// ---------------------------------------------------------------------------------------------
// The target and its checks

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

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

  async function verify(request: { method: string; url: string }, response: FuzzResponse, sent?: FuzzRequest) {
    if (response.status < 200) return; // 100 Continue: the real answer follows
    stats.requests++;
    const cls = `${Math.floor(response.status / 100)}xx`;
    stats.byStatus[cls] = (stats.byStatus[cls] ?? 0) + 1;
    if (response.status >= 500) stats.serverErrors++;
    try {
      const what = `${request.method} ${request.url.slice(0, 200)} -> ${response.status} ${response.text.slice(0, 300)}`;
      expect(response.status, what).toBeGreaterThanOrEqual(100);
      expect(response.status, what).toBeLessThan(500);
      if (response.status >= 400) {
        expect(String(response.headers['content-type']), what).toMatch(/^application\/json\b/);
        if (request.method !== 'HEAD') expectErrorShape(response.text, what);
        const now = await tables.take();
        const allowed = new Set(options.allowedChanges?.(request, response) ?? []);
        const strip = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([t]) => !allowed.has(t)));
        expect(strip(now), `a refused request changed tables: ${what}`).toEqual(strip(last));
        last = now;
      } else {
        last = await tables.take();
        if (sent) options.onAccepted?.(sent, response);
      }
    } catch (err) {
      stats.violations++;
      throw err;
    }
  }

  const check = async (request: FuzzRequest) => {
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
    await verify(request, { status: res.status, headers: res.headers, text: String(res.body ?? '') }, request);
  };

  const checkRaw = async (bytes: Buffer) => {
    const answer = await sendRaw(port, bytes);
    const requestLine = bytes.subarray(0, Math.min(bytes.indexOf(0x0a) >>> 0, 200)).toString('latin1').trim();
    const [method = '', ...rest] = requestLine.split(' ');
    const request = { method, url: rest.join(' ') };
    // node may close a connection without a word when the bytes are not HTTP at all; anything it does say must keep the contract.
    const responses = parseResponses(answer);
    for (const response of responses) await verify(request, response);
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

/** Writes one request in raw form and collects every byte the server sends until it closes. */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connectTcp(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer is how some refusals end
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(bytes);
  });
}

/** Splits what a server sent into its responses (Content-Length or chunked bodies, else to the end). */
export function parseResponses(data: Buffer): FuzzResponse[] {
  const responses: FuzzResponse[] = [];
  let rest = data;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`incomplete response head: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
    if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let body: Buffer;
    rest = rest.subarray(end + 4);
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = rest.subarray(0, n);
      rest = rest.subarray(n);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = rest.indexOf('\r\n');
        const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
        rest = rest.subarray(eol + 2);
        if (!size) {
          rest = rest.subarray(rest.indexOf('\r\n') + 2);
          break;
        }
        parts.push(rest.subarray(0, size));
        rest = rest.subarray(size + 2);
      }
      body = Buffer.concat(parts);
    } else {
      body = rest;
      rest = Buffer.alloc(0);
    }
    const status = Number(m[1]);
    responses.push({ status, headers, text: body.toString('utf8') });
    // 1xx answers (100 Continue) come before the real one.
    if (status >= 200 && headers.connection?.toLowerCase() === 'close') break;
  }
  return responses;
}

/** One JSON line per target into FUZZ_REPORT, which `npm run fuzz` adds up. */
function reportStats(service: string, stats: FuzzStats) {
  const file = process.env.FUZZ_REPORT;
  // One short synchronous append: lines from test files running at once do not interleave.
  if (file) appendFileSync(file, JSON.stringify({ service, ...stats }) + '\n');
}
