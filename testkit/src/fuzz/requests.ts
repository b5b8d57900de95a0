import { randomUUID } from 'node:crypto';
import fc, { type Arbitrary } from 'fast-check';
import { encodeBytes, encodedBody, type RawBody } from './bodies.js';
import { awkwardNumber, awkwardString, awkwardValue, fuzzedObject } from './values.js';

/** Requests to a service's endpoints: path ids, query strings, headers, cookies and bodies. */

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
export const headerText = fc.oneof(
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

/** The probes every service answers, outside /api, and /metrics, which its API port refuses (the metrics have a port of their own). */
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
