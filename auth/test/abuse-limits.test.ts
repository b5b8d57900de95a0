import { loadConfig } from '@ticketing/common';
import { testKeys } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';
import { anEmail, CLIENT, countFailures, countUsers, PASSWORD, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

/** The lockout under the default settings: 10 failures for one email from one address, 15 minutes. */
const MAX_FAILURES = 10;
const LOCKOUT_SECONDS = 15 * 60;
const LOCKED = { errors: [{ message: 'Too many failed sign-in attempts; try again later' }] };

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

/** A signed-up user and `n` failed sign-ins for them from `from`. */
async function userWithFailures(n: number, from = CLIENT) {
  const email = anEmail();
  await signUp(t, email);
  for (let i = 0; i < n; i++) expect((await signIn(t, email, 'wrong password', from)).status).toBe(400);
  return email;
}

const signUpFrom = (auth: Auth, from: string, email = anEmail()) =>
  auth.http.post('/api/users/signup').set('X-Forwarded-For', from).send({ email, password: PASSWORD });

const retryAfter = (res: { headers: Record<string, unknown> }) => Number(res.headers['retry-after']);

/** A test service with limits of its own, closed after `use`. */
async function withAuth(env: Record<string, string>, use: (auth: Auth) => Promise<void>) {
  const auth = await startAuth(env);
  try {
    await use(auth);
  } finally {
    await auth.close();
  }
}

describe('sign-in lockout, by email and address', () => {
  it('when an email has 10 failures from an address, then the next attempt from there gets 429 with Retry-After, even with the right password', async () => {
    const email = await userWithFailures(MAX_FAILURES);

    const res = await signIn(t, email, PASSWORD);

    expect(res.status).toBe(429);
    expect(res.body).toEqual(LOCKED);
    expect(retryAfter(res)).toBeGreaterThan(LOCKOUT_SECONDS - 60);
    expect(retryAfter(res)).toBeLessThanOrEqual(LOCKOUT_SECONDS);
    expect(sessionCookieOf(res)).toBeUndefined();
  });

  it("when an attacker's failures lock an email from the attacker's address, then its owner still signs in from their own", async () => {
    const email = await userWithFailures(MAX_FAILURES, '198.51.100.66');
    expect((await signIn(t, email, PASSWORD, '198.51.100.66')).status).toBe(429);

    const owner = await signIn(t, email, PASSWORD, '203.0.113.7');

    expect(owner.status).toBe(200);
    expect(sessionCookieOf(owner)).toBeDefined();
  });

  it('when an email has 9 failures, then the 10th attempt is still checked (and may succeed)', async () => {
    const email = await userWithFailures(MAX_FAILURES - 1);

    expect((await signIn(t, email, PASSWORD)).status).toBe(200);
  });

  it('when a sign-in succeeds before the limit, then the count starts again from zero', async () => {
    const email = await userWithFailures(MAX_FAILURES - 1);
    expect((await signIn(t, email, PASSWORD)).status).toBe(200);

    const statuses: number[] = [];
    for (let i = 0; i < MAX_FAILURES + 1; i++) statuses.push((await signIn(t, email, 'wrong password')).status);

    expect(statuses).toEqual([...Array(MAX_FAILURES).fill(400), 429]);
  });

  it('when the email is unknown, then it is locked the same way (the limit does not reveal which emails exist)', async () => {
    const email = anEmail();
    for (let i = 0; i < MAX_FAILURES; i++) await signIn(t, email, 'wrong password');

    const res = await signIn(t, email, 'wrong password');

    expect(res.status).toBe(429);
    expect(res.body).toEqual(LOCKED);
  });

  it('when the email is typed differently (case, spaces), then it still counts against the same account', async () => {
    const email = await userWithFailures(MAX_FAILURES);

    expect((await signIn(t, ` ${email.toUpperCase()} `, PASSWORD)).status).toBe(429);
  });

  it('when many wrong attempts arrive at once, then exactly 10 are checked and the rest get 429', async () => {
    const email = anEmail();
    await signUp(t, email);

    const results = await Promise.all(Array.from({ length: 16 }, () => signIn(t, email, 'wrong password')));

    expect(results.map((r) => r.status).sort()).toEqual([...Array(MAX_FAILURES).fill(400), ...Array(6).fill(429)]);
  });

  it('when a second replica shares the database, then failures on one lock the pair on the other', async () => {
    const email = await userWithFailures(MAX_FAILURES);
    const replica = await startAuth({}, t);
    try {
      const res = await replica.http.post('/api/users/signin').set('X-Forwarded-For', CLIENT).send({ email, password: PASSWORD });

      expect(res.status).toBe(429);
    } finally {
      await replica.close();
    }
  });

  it('when the lockout has passed, then the right password signs in again', async () => {
    await withAuth({ SIGNIN_LOCKOUT_SECONDS: '2' }, async (auth) => {
      const email = anEmail();
      await signUp(auth, email);
      for (let i = 0; i < MAX_FAILURES; i++) await signIn(auth, email, 'wrong password');
      const locked = await signIn(auth, email, PASSWORD);
      expect(locked.status).toBe(429);
      expect(retryAfter(locked)).toBeLessThanOrEqual(2);

      await new Promise((resolve) => setTimeout(resolve, 2100));

      expect((await signIn(auth, email, PASSWORD)).status).toBe(200);
      expect(await countFailures(auth, email)).toBe(0);
    });
  });
});

describe('per-address and overall limits', () => {
  it('when an address has used its sign-ins for the minute, then it gets 429 with Retry-After, and another address does not', async () => {
    await withAuth({ SIGNIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '3' }, async (auth) => {
      const email = anEmail();
      await signUp(auth, email);
      for (let i = 0; i < 3; i++) expect((await signIn(auth, email, PASSWORD, '198.51.100.1')).status).toBe(200);

      const refused = await signIn(auth, email, PASSWORD, '198.51.100.1');
      const other = await signIn(auth, email, PASSWORD, '198.51.100.2');

      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ errors: [{ message: 'Too many sign-in attempts from this address; try again later' }] });
      expect(retryAfter(refused)).toBeGreaterThanOrEqual(1);
      expect(retryAfter(refused)).toBeLessThanOrEqual(60);
      expect(sessionCookieOf(refused)).toBeUndefined();
      expect(other.status).toBe(200);
    });
  });

  it('when an address has failed its daily sign-ins over many emails (spraying), then every email from it gets 429', async () => {
    await withAuth({ SIGNIN_FAILURES_PER_ADDRESS_PER_DAY: '3' }, async (auth) => {
      const victim = anEmail();
      await signUp(auth, victim);
      for (let i = 0; i < 3; i++) expect((await signIn(auth, anEmail(), 'Winter2026!', '198.51.100.3')).status).toBe(400);

      const sprayed = await signIn(auth, victim, 'Winter2026!', '198.51.100.3');
      const owner = await signIn(auth, victim, PASSWORD, '198.51.100.4');

      expect(sprayed.status).toBe(429);
      expect(retryAfter(sprayed)).toBeGreaterThan(24 * 60 * 60 - 60);
      expect(owner.status).toBe(200);
    });
  });

  it('when an address has used its sign-ups for the hour, then it gets 429 with Retry-After and no account is created', async () => {
    await withAuth({ SIGNUPS_PER_ADDRESS_PER_HOUR: '2' }, async (auth) => {
      for (let i = 0; i < 2; i++) expect((await signUpFrom(auth, '198.51.100.5')).status).toBe(201);
      const users = await countUsers(auth);

      const refused = await signUpFrom(auth, '198.51.100.5');
      const other = await signUpFrom(auth, '198.51.100.6');

      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ errors: [{ message: 'Too many sign-ups from this address; try again later' }] });
      expect(retryAfter(refused)).toBeGreaterThan(60 * 60 - 60);
      expect(retryAfter(refused)).toBeLessThanOrEqual(60 * 60);
      expect(sessionCookieOf(refused)).toBeUndefined();
      expect(other.status).toBe(201);
      expect(await countUsers(auth)).toBe(users + 1);
    });
  });

  it('when more password hashes are asked for than the overall limit allows, then the rest get 429 (Retry-After 1) and create nothing', async () => {
    await withAuth({ PASSWORD_HASHES_PER_SECOND: '2' }, async (auth) => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => signUpFrom(auth, `198.51.100.${20 + i}`)));

      const refused = results.filter((r) => r.status === 429);
      const created = results.filter((r) => r.status === 201);
      expect(refused.length).toBeGreaterThan(0);
      expect(created.length + refused.length).toBe(12);
      for (const r of refused) {
        expect(r.body).toEqual({ errors: [{ message: 'Too many requests; try again in a moment' }] });
        expect(retryAfter(r)).toBe(1);
      }
      expect(await countUsers(auth)).toBe(created.length);
    });
  });

  it('when the overall limit refuses a sign-in, then that attempt does not count as a failure', async () => {
    await withAuth({ PASSWORD_HASHES_PER_SECOND: '1' }, async (auth) => {
      const email = anEmail();
      await signUp(auth, email);
      const results = await Promise.all(Array.from({ length: 6 }, () => signIn(auth, email, 'wrong password')));
      const checked = results.filter((r) => r.status === 400).length;

      expect(results.some((r) => r.status === 429)).toBe(true);
      expect(await countFailures(auth, email)).toBe(checked);
    });
  });
});

describe('the client address', () => {
  it('when X-Forwarded-For comes from a peer not in TRUSTED_PROXIES, then it is ignored: every request counts against the peer', async () => {
    await withAuth({ TRUSTED_PROXIES: '10.0.0.0/8', SIGNUPS_PER_ADDRESS_PER_HOUR: '2' }, async (auth) => {
      const statuses = [];
      for (const from of ['198.51.100.7', '198.51.100.8', '198.51.100.9']) statuses.push((await signUpFrom(auth, from)).status);

      expect(statuses).toEqual([201, 201, 429]);
    });
  });

  it('when X-Forwarded-For comes from a trusted proxy (the loopback front door by default), then each forwarded client counts on its own', async () => {
    await withAuth({ SIGNUPS_PER_ADDRESS_PER_HOUR: '2' }, async (auth) => {
      const statuses = [];
      for (const from of ['198.51.100.7', '198.51.100.8', '198.51.100.9']) statuses.push((await signUpFrom(auth, from)).status);

      expect(statuses).toEqual([201, 201, 201]);
    });
  });

  it('when a trusted proxy forwards something that is not an address, then the peer is counted instead (never a 5xx)', async () => {
    await withAuth({ SIGNUPS_PER_ADDRESS_PER_HOUR: '2' }, async (auth) => {
      const statuses = [];
      for (const from of ['x'.repeat(300), 'not-an-ip', '198.51.100.10, ' + 'y'.repeat(300)]) statuses.push((await signUpFrom(auth, from)).status);

      expect(statuses).toEqual([201, 201, 429]);
    });
  });

  it('when TRUSTED_PROXIES is not a list Express understands, then start-up fails naming it', () => {
    expect(() => loadConfig(configSchema, { ...baseEnv, TRUSTED_PROXIES: '10.0.0.0/99' })).toThrow(/TRUSTED_PROXIES: /);
  });
});

const baseEnv = {
  PORT: '3000',
  DATABASE_URL: 'postgres://u:p@localhost:5432/auth',
  JWT_PUBLIC_KEY: testKeys.publicKeyPem,
  JWT_PRIVATE_KEY: testKeys.privateKeyPem,
};

describe('defaults', () => {
  it('when NODE_ENV is production, then the limits are strict', () => {
    expect(loadConfig(configSchema, { ...baseEnv, NODE_ENV: 'production' })).toMatchObject({
      SIGNIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: 20,
      SIGNIN_FAILURES_PER_ADDRESS_PER_DAY: 100,
      SIGNIN_FAILURES_PER_EMAIL_AND_ADDRESS: 10,
      SIGNIN_LOCKOUT_SECONDS: 900,
      SIGNUPS_PER_ADDRESS_PER_HOUR: 10,
      PASSWORD_HASHES_PER_SECOND: 30,
      TRUSTED_PROXIES: 'loopback',
    });
  });

  it('when a limit is set, then it wins over the default of the environment', () => {
    expect(loadConfig(configSchema, { ...baseEnv, NODE_ENV: 'production', SIGNUPS_PER_ADDRESS_PER_HOUR: '3' }).SIGNUPS_PER_ADDRESS_PER_HOUR).toBe(3);
  });

  it('when 200 users sign up and sign in from one address within a minute under the test defaults, then none is refused', async () => {
    const emails = Array.from({ length: 200 }, () => anEmail());
    const statuses: number[] = [];
    for (let i = 0; i < emails.length; i += 20) {
      const batch = emails.slice(i, i + 20);
      statuses.push(...(await Promise.all(batch.map((e) => signUpFrom(t, CLIENT, e)))).map((r) => r.status));
      statuses.push(...(await Promise.all(batch.map((e) => signIn(t, e)))).map((r) => r.status));
    }

    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
  }, 120_000);
});
