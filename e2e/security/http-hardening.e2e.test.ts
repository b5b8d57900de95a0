/**
 * The HTTP hardening every service shares, checked on each running process rather than on the
 * shared app shell alone: security headers on every kind of answer, the 100 kB body limit, bad
 * JSON answered in the error shape, and the session cookie and sign-in limit as the real auth
 * process sets them.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningSystem, SERVICES, type ServiceName } from '../system.js';
import { send, sessionSetCookie, signUpWithToken, type RawResponse } from './http.js';

let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start();
}, 120_000);
afterAll(() => system?.stop());

/** Each service's main write route; the expiration service has none, so any path (the body is read first). */
const writeRoute: Record<ServiceName, string> = {
  auth: '/api/users/signup',
  tickets: '/api/tickets',
  orders: '/api/orders',
  payments: '/api/payments',
  expiration: '/api/expiration',
};

/** helmet's defaults, which every answer must carry. */
function expectSecurityHeaders(res: RawResponse, what: string) {
  const h = Object.fromEntries(res.headers);
  expect({ what, poweredBy: h['x-powered-by'] }).toEqual({ what, poweredBy: undefined });
  expect({ what, ...h }).toMatchObject({
    what,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'content-security-policy': expect.stringContaining("default-src 'self'"),
    'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  });
}

const expectErrorShape = (res: RawResponse, status: number, message?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body).toEqual({ errors: [{ message: message ?? expect.stringMatching(/\S/) }] });
};

describe.each(SERVICES)('the %s service', (service) => {
  it('when it answers a probe, a success, a refusal, an unknown route and a bad body, then every answer carries the security headers and no x-powered-by', async () => {
    const answers = {
      healthz: await send(system, 'GET', '/healthz', { service }),
      metrics: await send(system, 'GET', '/metrics', { service }),
      'unknown route': await send(system, 'GET', '/api/nowhere', { service }),
      'signed-out write': await send(system, 'POST', writeRoute[service], { service, body: {} }),
      'malformed JSON': await send(system, 'POST', writeRoute[service], { service, raw: '{"title":' }),
      'body too large': await send(system, 'POST', writeRoute[service], { service, body: { pad: 'x'.repeat(101 * 1024) } }),
    };

    for (const [what, res] of Object.entries(answers)) expectSecurityHeaders(res, `${service} ${what}`);
    expect(answers.healthz.status).toBe(200);
    expectErrorShape(answers['unknown route'], 404);
  });

  it('when a JSON body is over 100 kB, then 413 in the error shape', async () => {
    const res = await send(system, 'POST', writeRoute[service], { service, body: { pad: 'x'.repeat(101 * 1024) } });

    expectErrorShape(res, 413, 'Request body is too large');
  });

  it('when a gzip body of 5 kB inflates past 100 kB, then 413 in the error shape (the limit is on the inflated size)', async () => {
    const raw = gzipSync(JSON.stringify({ pad: 'x'.repeat(5_000_000) }));

    const res = await send(system, 'POST', writeRoute[service], { service, raw, headers: { 'content-encoding': 'gzip' } });

    expect(raw.length).toBeLessThan(100 * 1024);
    expectErrorShape(res, 413, 'Request body is too large');
  });

  it('when a JSON body is malformed, then 400 in the error shape, not 500', async () => {
    const res = await send(system, 'POST', writeRoute[service], { service, raw: '{"title":' });

    expectErrorShape(res, 400, 'Malformed JSON in request body');
  });
});

describe.each(SERVICES)('a write to the %s service', (service) => {
  it('when a page of another site sends it, then 403 in the error shape; from this origin, or from a client that is not a browser, it passes on to the route', async () => {
    const crossSite = await send(system, 'POST', writeRoute[service], { service, body: {}, headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } });
    const oldBrowser = await send(system, 'POST', writeRoute[service], { service, body: {}, headers: { origin: 'https://evil.example' } });
    const sameOrigin = await send(system, 'POST', writeRoute[service], { service, body: {}, headers: { 'sec-fetch-site': 'same-origin' } });
    const apiClient = await send(system, 'POST', writeRoute[service], { service, body: {} });

    expectErrorShape(crossSite, 403, 'Cross-site request refused');
    expectErrorShape(oldBrowser, 403, 'Cross-site request refused');
    // The route's own answer (401 signed out, 400 invalid, 404 unknown): anything but the refusal.
    expect([sameOrigin.status, apiClient.status].filter((status) => status === 403 || status === 415)).toEqual([]);
  });

  it('when its body is not JSON, then 415 in the error shape', async () => {
    const res = await send(system, 'POST', writeRoute[service], { service, raw: 'title=x', contentType: 'application/x-www-form-urlencoded' });

    expectErrorShape(res, 415, 'Request body must be JSON (Content-Type: application/json)');
  });
});

describe('signing out from another site', () => {
  it('when a page of another site posts the sign-out, then 403, no cookie is cleared and the session still works', async () => {
    const user = await signUpWithToken(system);

    const res = await send(system, 'POST', '/api/users/signout', { cookie: user.cookie, headers: { 'sec-fetch-site': 'cross-site' } });

    expectErrorShape(res, 403, 'Cross-site request refused');
    expect(sessionSetCookie(res)).toBeUndefined();
    const me = await send(system, 'GET', '/api/users/currentuser', { cookie: user.cookie });
    expect(me.body).toEqual({ currentUser: expect.objectContaining({ id: user.id }) });
  });
});

describe('the body limit changes nothing', () => {
  it('when a sign-up is over 100 kB, then 413 and no account exists for that email', async () => {
    const email = `big-${Date.now()}@example.com`;
    const password = 'correct horse battery';

    const res = await send(system, 'POST', '/api/users/signup', { body: { email, password, pad: 'x'.repeat(101 * 1024) } });

    expectErrorShape(res, 413, 'Request body is too large');
    expect((await send(system, 'POST', '/api/users/signin', { body: { email, password } })).status).toBe(400);
  });

  it('when a ticket is over 100 kB, then 413 and it is not listed', async () => {
    const user = await signUpWithToken(system);
    const title = `Oversized ${Date.now()}`;

    const res = await send(system, 'POST', '/api/tickets', { cookie: user.cookie, body: { title, price: 5, pad: 'x'.repeat(101 * 1024) } });

    expectErrorShape(res, 413, 'Request body is too large');
    const listed = (await send(system, 'GET', '/api/tickets?limit=200')).body as { title: string }[];
    expect(listed.map((t) => t.title)).not.toContain(title);
  });
});

describe('the session cookie from the running auth process', () => {
  it('when signing up, in and out, then the cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure (NODE_ENV=test), and signing out expires it', async () => {
    const user = await signUpWithToken(system);
    const signup = await send(system, 'POST', '/api/users/signup', { body: { email: `c-${user.email}`, password: user.password } });
    const signin = await send(system, 'POST', '/api/users/signin', { body: { email: user.email, password: user.password } });
    const signout = await send(system, 'POST', '/api/users/signout', { cookie: user.cookie });

    for (const res of [signup, signin, signout]) {
      const { attributes } = sessionSetCookie(res)!;
      expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
      expect(attributes).not.toContain('Secure');
    }
    const cleared = sessionSetCookie(signout)!;
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toContain('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('when an email has 10 failed sign-ins, then the 11th attempt gets 429 with Retry-After in the error shape, even with the right password', async () => {
    const user = await signUpWithToken(system);
    for (let i = 0; i < 10; i++) {
      expect((await send(system, 'POST', '/api/users/signin', { body: { email: user.email, password: 'wrong password' } })).status).toBe(400);
    }

    const res = await send(system, 'POST', '/api/users/signin', { body: { email: user.email, password: user.password } });

    expectErrorShape(res, 429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sessionSetCookie(res)).toBeUndefined();
  });
});

describe.each([
  ['NODE_ENV=production', { NODE_ENV: 'production' }],
  ['COOKIE_SECURE=true', { COOKIE_SECURE: 'true' }],
])('an auth process started with %s', (_, env) => {
  let secure: RunningSystem;
  beforeAll(async () => {
    secure = await RunningSystem.start({ services: ['auth'], env });
  }, 60_000);
  afterAll(() => secure?.stop());

  it('when signing up and out, then the session cookie is Secure, and still HttpOnly and SameSite=Lax', async () => {
    const user = await signUpWithToken(secure);
    const signup = await send(secure, 'POST', '/api/users/signup', { body: { email: `s-${user.email}`, password: user.password } });
    const signout = await send(secure, 'POST', '/api/users/signout', { cookie: user.cookie });

    for (const res of [signup, signout]) {
      expect(sessionSetCookie(res)!.attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Lax', 'Path=/']));
    }
  });
});
