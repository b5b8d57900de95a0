import { randomUUID } from 'node:crypto';
import { outbox, REVOCATION_RECHECK_MS } from '@ticketing/common';
import { eventually } from '@ticketing/testkit';
import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../src/db/schema.js';
import { sessionPruning } from '../src/sessions.js';
import { anEmail, PASSWORD, sessionCookieOf, signIn, signUp, startAuth, type Auth } from './setup.js';

let t: Auth;
beforeAll(async () => {
  t = await startAuth();
});
afterAll(() => t.close());

/** A new user signed in `count` times (sign-up, then sign-ins): one token per session. */
async function userWithSessions(count: number) {
  const email = anEmail();
  const signedUp = await signUp(t, email);
  const tokens = [sessionCookieOf(signedUp)!.value];
  while (tokens.length < count) tokens.push(sessionCookieOf(await signIn(t, email, PASSWORD))!.value);
  return { id: signedUp.body.id as string, email, tokens };
}

const me = async (token: string) => (await t.http.get('/api/users/currentuser').set('Cookie', `session=${token}`)).body.currentUser;
/**
 * Waits for `token` to count as signed out: a replica re-asks whether a session it already
 * verified was revoked once its answer is REVOCATION_RECHECK_MS old, so within about that.
 */
async function expectRefusedSoon(token: string) {
  const started = Date.now();
  await eventually(async () => (await me(token)) === null, { what: 'the revoked token to be refused', timeoutMs: 5_000 });
  expect(Date.now() - started).toBeLessThan(REVOCATION_RECHECK_MS + 1_000);
}
const jtiOf = (token: string) => decodeJwt(token).jti!;
const revokedEvents = async () =>
  (await t.service.database.db.select().from(outbox).where(eq(outbox.subject, 'session.revoked'))).map((e) => e.payload);

describe('sessions are recorded', () => {
  it('when a user signs up and signs in, then each token names its own recorded session, live until the token expires', async () => {
    const user = await userWithSessions(2);

    const rows = await t.service.database.db.select().from(sessions).where(eq(sessions.userId, user.id));

    expect(rows.map((r) => r.id).sort()).toEqual(user.tokens.map(jtiOf).sort());
    for (const row of rows) {
      const token = user.tokens.find((tk) => jtiOf(tk) === row.id)!;
      expect(row.expiresAt.getTime()).toBe(decodeJwt(token).exp! * 1000);
      expect(row.revokedAt).toBeNull();
    }
  });
});

describe('expired sessions are pruned', () => {
  it("when auth's pruning runs, then sessions whose token has expired are deleted and live ones kept", async () => {
    const user = await userWithSessions(1);
    const expired = { id: randomUUID(), userId: user.id, expiresAt: new Date(Date.now() - 60_000) };
    await t.service.database.db.insert(sessions).values(expired);

    const worker = sessionPruning(t.service);
    await worker.start();
    try {
      await eventually(async () => (await t.service.database.db.select().from(sessions).where(eq(sessions.id, expired.id))).length === 0, {
        what: 'the expired session to be pruned',
      });
    } finally {
      await worker.stop();
    }

    const left = await t.service.database.db.select().from(sessions).where(eq(sessions.userId, user.id));
    expect(left.map((r) => r.id)).toEqual([jtiOf(user.tokens[0]!)]);
  });
});

describe('POST /api/users/signout revokes the session', () => {
  it('when a user signs out, then that token is refused even if sent again, their other session is not, and session.revoked is published', async () => {
    const user = await userWithSessions(2);
    const [kept, signedOut] = user.tokens as [string, string];

    const res = await t.http.post('/api/users/signout').set('Cookie', `session=${signedOut}`);

    expect(res.status).toBe(200);
    await expectRefusedSoon(signedOut);
    expect(await me(kept)).toEqual({ id: user.id, email: user.email });
    const [row] = await t.service.database.db.select().from(sessions).where(eq(sessions.id, jtiOf(signedOut)));
    expect(row!.revokedAt).toBeInstanceOf(Date);
    expect(await revokedEvents()).toContainEqual({
      id: jtiOf(signedOut),
      userId: user.id,
      expiresAt: new Date(decodeJwt(signedOut).exp! * 1000).toISOString(),
    });
  });

  it('when a revoked token signs out again, then 200 and no second event', async () => {
    const user = await userWithSessions(1);
    await t.http.post('/api/users/signout').set('Cookie', `session=${user.tokens[0]}`);
    await expectRefusedSoon(user.tokens[0]!);
    const before = (await revokedEvents()).length;

    const again = await t.http.post('/api/users/signout').set('Cookie', `session=${user.tokens[0]}`);

    expect(again.status).toBe(200);
    expect((await revokedEvents()).length).toBe(before);
  });
});

describe('POST /api/users/signout-everywhere', () => {
  it("when a user signs out everywhere, then both of their sessions are refused, another user's is not, and one event per session is published", async () => {
    const user = await userWithSessions(2);
    const other = await userWithSessions(1);
    const before = (await revokedEvents()).length;

    const res = await t.http.post('/api/users/signout-everywhere').set('Cookie', `session=${user.tokens[0]}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    expect(sessionCookieOf(res)!.value).toBe(''); // this browser's cookie is cleared too
    await expectRefusedSoon(user.tokens[0]!);
    await expectRefusedSoon(user.tokens[1]!);
    expect(await me(other.tokens[0]!)).toEqual({ id: other.id, email: other.email });
    const events = (await revokedEvents()).slice(before) as { id: string; userId: string }[];
    expect(events.map((e) => e.id).sort()).toEqual(user.tokens.map(jtiOf).sort());
    expect(events.every((e) => e.userId === user.id)).toBe(true);
  });

  it('when not signed in (or with a revoked token), then 401 in the error shape and nothing is revoked', async () => {
    const user = await userWithSessions(1);
    await t.http.post('/api/users/signout').set('Cookie', `session=${user.tokens[0]}`);
    await expectRefusedSoon(user.tokens[0]!);
    const before = (await revokedEvents()).length;

    const anonymous = await t.http.post('/api/users/signout-everywhere');
    const revoked = await t.http.post('/api/users/signout-everywhere').set('Cookie', `session=${user.tokens[0]}`);

    for (const res of [anonymous, revoked]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });
    }
    expect((await revokedEvents()).length).toBe(before);
  });
});
