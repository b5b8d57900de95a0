import {
  cookieHeader,
  expectUtf8IfRead,
  fuzzRuns,
  fuzzTimeout,
  invalidSessionCookies,
  itKeepsItsContractUnderFuzzing,
  pathId,
  probeEndpoints,
  requestsTo,
  sentJson,
  startFuzzTarget,
  type Endpoint,
  type FuzzRequest,
  type FuzzResponse,
  type FuzzTarget,
} from '@ticketing/testkit/fuzz';
import { sessionCookie } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anEmail, PASSWORD, sessionCookieOf, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
let target: FuzzTarget;
let email: string;
let cookie: string;
let foreignCookie: string;
let invalidCookies: string[];

beforeAll(async () => {
  t = await startAuth();
  email = anEmail();
  const res = await signUp(t, email);
  cookie = `session=${sessionCookieOf(res)!.value}`;
  // Valid, but for a user this service never stored.
  foreignCookie = await sessionCookie({ id: randomUUID(), email: anEmail() });
  invalidCookies = await invalidSessionCookies(res.body as { id: string; email: string });
  target = await startFuzzTarget(t.service, t.app, {
    // A well-formed sign-in or sign-up counts against the abuse limits even when it is then
    // refused (a wrong password, a taken email, a limit reached): counting is the limits' job.
    // Only their table may change, and only for those answers; bad input changes nothing.
    allowedChanges: (request, response) => (reachedTheLimits(request, response) ? ['rate_limits'] : []),
    onAccepted: signedInAsSent,
  });
});
afterAll(async () => {
  await target?.close();
  await t?.close();
});

function reachedTheLimits(request: { method: string; url: string }, response: FuzzResponse) {
  const path = request.url.split('?')[0];
  if (request.method !== 'POST' || (path !== '/api/users/signin' && path !== '/api/users/signup')) return false;
  return response.status === 429 || /Invalid email or password|Email in use/.test(response.text);
}

/** An accepted sign-up or sign-in is for the email sent (trimmed, lower-cased); a session that fails verification is nobody's. */
function signedInAsSent(request: FuzzRequest, response: FuzzResponse) {
  const path = request.url.split('?')[0];
  if (request.method === 'POST' && (path === '/api/users/signup' || path === '/api/users/signin')) {
    expectUtf8IfRead(request);
    const sent = sentJson(request) as { email?: unknown } | undefined;
    if (sent) expect((JSON.parse(response.text) as { email: string }).email).toBe(String(sent.email).trim().toLowerCase());
  }
  if (request.method === 'GET' && path === '/api/users/currentuser' && invalidCookies.includes(request.headers.cookie ?? '')) {
    expect(JSON.parse(response.text)).toEqual({ currentUser: null });
  }
}

const credentials = {
  email: fc.oneof(
    fc.constant('someone@example.com'),
    fc.uuid().map((id) => `fuzz-${id.slice(0, 8)}@example.com`),
    fc.constantFrom(' Someone@Example.COM ', 'a@b.co', `${'x'.repeat(250)}@example.com`),
  ),
  password: fc.oneof(fc.constant(PASSWORD), fc.string({ minLength: 8, maxLength: 20 })),
};

const endpoints = (): Endpoint[] => [
  { method: 'POST', path: '/api/users/signup', body: credentials },
  { method: 'POST', path: '/api/users/signin', body: { ...credentials, email: fc.oneof(fc.constant(email), credentials.email) } },
  { method: 'POST', path: '/api/users/signout' },
  { method: 'POST', path: '/api/users/signout-everywhere' },
  { method: 'GET', path: '/api/users/currentuser' },
  ...probeEndpoints,
];

const requests = () =>
  requestsTo(endpoints(), {
    ids: pathId([]),
    cookies: cookieHeader([cookie, foreignCookie], invalidCookies),
  });

describe('fuzzing the auth API', () => {
  itKeepsItsContractUnderFuzzing({
    target: () => target,
    requests,
    // Fewer than the other services: every well-formed sign-up or sign-in runs scrypt.
    runs: 300,
    msPerCase: 150,
    raw: () => ({
      paths: ['/api/users/signup', '/api/users/signin', '/api/users/signout', '/api/users/signout-everywhere', '/api/users/currentuser'],
      body: fc.record(credentials),
    }),
  });

  const passwordRuns = fuzzRuns(20, 0.1);
  it(
    `when ${passwordRuns} accounts are signed into with a different password, then none gets in`,
    async () => {
      const password = fc.oneof(fc.string({ minLength: 8, maxLength: 16 }), fc.string({ unit: 'binary', minLength: 8, maxLength: 16 }));
      // The same password but for one unpaired surrogate: hashed as UTF-8, both would be U+FFFD.
      const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
      const nearby = fc.tuple(password, surrogate, surrogate).map(([p, a, b]) => [p + a, p + b] as const);
      const pairs = fc.oneof(fc.tuple(password, password), nearby).filter(([a, b]) => a !== b);
      await fc.assert(
        fc.asyncProperty(pairs, async ([signedUpWith, triedWith]) => {
          const someone = anEmail();
          // Refused (a password that is not valid text) or not, the other password must not get in.
          const signup = await t.http.post('/api/users/signup').send({ email: someone, password: signedUpWith });
          expect([201, 400]).toContain(signup.status);
          const signin = await t.http.post('/api/users/signin').send({ email: someone, password: triedWith });
          expect(signin.status).toBe(400);
        }),
        { numRuns: passwordRuns },
      );
    },
    fuzzTimeout(passwordRuns, 500),
  );
});
