import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signinFailures } from '../src/db/schema.js';
import { pruneExpiredFailures } from '../src/changes.js';
import { MAX_FAILURES, WINDOW_SECONDS, windowStart } from '../src/signin-limit.js';
import { anEmail, countFailures, PASSWORD, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

const LOCKED = { errors: [{ message: 'Too many failed sign-in attempts; try again later' }] };

/** A signed-up user and `n` failed sign-ins for them. */
async function userWithFailures(n: number) {
  const email = anEmail();
  await signUp(t, email);
  for (let i = 0; i < n; i++) expect((await signIn(t, email, 'wrong password')).status).toBe(400);
  return email;
}

/** Moves an email's failures into the past, as if `seconds` had gone by. */
const age = (email: string, seconds: number) =>
  t.service.database.db
    .update(signinFailures)
    .set({ attemptedAt: sql`${signinFailures.attemptedAt} - make_interval(secs => ${seconds})` })
    .where(eq(signinFailures.email, email));

describe('sign-in rate limit', () => {
  it('when an email has 10 failures, then the next attempt gets 429 with Retry-After, even with the right password', async () => {
    const email = await userWithFailures(MAX_FAILURES);

    const res = await signIn(t, email, PASSWORD);

    expect(res.status).toBe(429);
    expect(res.body).toEqual(LOCKED);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(WINDOW_SECONDS - 30);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(sessionCookieOf(res)).toBeUndefined();
  });

  it('when an email has 9 failures, then the 10th attempt is still checked (and may succeed)', async () => {
    const email = await userWithFailures(MAX_FAILURES - 1);

    const res = await signIn(t, email, PASSWORD);

    expect(res.status).toBe(200);
  });

  it('when locked, then more attempts do not count, so the lock does not extend itself', async () => {
    const email = await userWithFailures(MAX_FAILURES);

    for (let i = 0; i < 3; i++) expect((await signIn(t, email, 'wrong password')).status).toBe(429);

    expect(await countFailures(t, email)).toBe(MAX_FAILURES);
  });

  it('when one email is locked, then another email signs in and fails normally', async () => {
    const locked = await userWithFailures(MAX_FAILURES);
    const other = anEmail();
    await signUp(t, other);

    const lockedRes = await signIn(t, locked, PASSWORD);
    const wrong = await signIn(t, other, 'wrong password');
    const right = await signIn(t, other, PASSWORD);

    expect(lockedRes.status).toBe(429);
    expect(wrong.status).toBe(400);
    expect(right.status).toBe(200);
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

    const res = await signIn(t, ` ${email.toUpperCase()} `, PASSWORD);

    expect(res.status).toBe(429);
  });

  it('when the oldest counted failure is 10 minutes old, then Retry-After is about 5 minutes', async () => {
    const email = await userWithFailures(1);
    await age(email, 10 * 60);
    for (let i = 0; i < MAX_FAILURES - 1; i++) await signIn(t, email, 'wrong password');

    const res = await signIn(t, email, PASSWORD);

    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(5 * 60 - 30);
    expect(retryAfter).toBeLessThanOrEqual(5 * 60);
  });

  it('when the window has passed since the failures, then the right password signs in again', async () => {
    const email = await userWithFailures(MAX_FAILURES);
    expect((await signIn(t, email, PASSWORD)).status).toBe(429);
    await age(email, WINDOW_SECONDS + 1);

    const res = await signIn(t, email, PASSWORD);

    expect(res.status).toBe(200);
    expect(await countFailures(t, email)).toBe(0);
  });

  it('when many wrong attempts arrive at once, then exactly 10 are checked and the rest get 429', async () => {
    const email = anEmail();
    await signUp(t, email);

    const results = await Promise.all(Array.from({ length: 16 }, () => signIn(t, email, 'wrong password')));

    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(MAX_FAILURES).fill(400), ...Array(6).fill(429)]);
    expect(await countFailures(t, email)).toBe(MAX_FAILURES);
  });

  it('when a second replica shares the database, then failures on one lock the email on the other', async () => {
    const email = await userWithFailures(MAX_FAILURES);
    const replica = await startAuth({}, t);
    try {
      const res = await replica.http.post('/api/users/signin').send({ email, password: PASSWORD });

      expect(res.status).toBe(429);
    } finally {
      await replica.close();
    }
  });

  it('when pruning runs, then failures older than the window are deleted and recent ones kept', async () => {
    const stale = await userWithFailures(2);
    await age(stale, WINDOW_SECONDS + 60);
    const recent = await userWithFailures(1);

    const deleted = await pruneExpiredFailures(t.service.database.db, windowStart);

    expect(deleted).toBeGreaterThanOrEqual(2);
    expect(await countFailures(t, stale)).toBe(0);
    expect(await countFailures(t, recent)).toBe(1);
  });
});
