/**
 * Revoked sessions against the whole running system: after sign-out, or "sign out
 * everywhere", the token is refused by every service (auth: no current user; tickets, orders,
 * payments: 401) within seconds, although its signature and expiry are still good. Sessions of
 * the same user that were not revoked, and other users' sessions, keep working.
 */
import { randomUUID } from 'node:crypto';
import { eventually } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningSystem } from '../system.js';
import { send, sessionSetCookie, signUpWithToken, type SignedUp } from './http.js';

let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start({ services: ['auth', 'tickets', 'orders', 'payments'] });
}, 120_000);
afterAll(() => system?.stop());

/** Revocation must reach every service this fast (the event's trip plus the verifier's recheck). */
const WITHIN_MS = 5_000;

/** A new session of `user` (a sign-in): its token. */
async function signIn(user: SignedUp): Promise<string> {
  const res = await send(system, 'POST', '/api/users/signin', { body: { email: user.email, password: user.password } });
  expect(res.status).toBe(200);
  return sessionSetCookie(res)!.value;
}

/**
 * What each service makes of `token`, by requests that change nothing: auth's current user,
 * and whether tickets, orders and payments let it past the sign-in check (a signed-in request
 * with an empty body is refused for the body, 400, or for an unknown order, 404; a signed-out one 401).
 */
async function seenBy(token: string) {
  const cookie = `session=${token}`;
  const [me, tickets, orders, payments] = await Promise.all([
    send(system, 'GET', '/api/users/currentuser', { cookie }),
    send(system, 'POST', '/api/tickets', { cookie, body: {} }),
    send(system, 'GET', '/api/orders', { cookie }),
    send(system, 'POST', '/api/payments', { cookie, body: { orderId: randomUUID(), token: 'tok_visa' } }),
  ]);
  return {
    auth: me.body?.currentUser?.id ?? null,
    tickets: tickets.status,
    orders: orders.status,
    payments: payments.status,
  };
}

const accepted = (user: SignedUp) => ({ auth: user.id, tickets: 400, orders: 200, payments: 404 });
const refused = { auth: null, tickets: 401, orders: 401, payments: 401 };

/** Waits until every service refuses `token`; returns how long that took. */
async function refusedEverywhere(token: string): Promise<number> {
  const started = Date.now();
  await eventually(async () => JSON.stringify(await seenBy(token)) === JSON.stringify(refused), {
    what: 'every service to refuse the revoked token',
    timeoutMs: 15_000,
    intervalMs: 100,
  });
  return Date.now() - started;
}

describe('revoked sessions across every service', () => {
  it('when a user signs out, then every service refuses that token within seconds, and their other session still works everywhere', async () => {
    const user = await signUpWithToken(system);
    const other = await signIn(user);
    expect(await seenBy(user.token)).toEqual(accepted(user));

    const res = await send(system, 'POST', '/api/users/signout', { cookie: user.cookie });
    expect(res.status).toBe(200);

    expect(await refusedEverywhere(user.token)).toBeLessThan(WITHIN_MS);
    expect(await seenBy(other)).toEqual(accepted(user));
  });

  it("when a user signs out everywhere, then both of their sessions are refused by every service, and another user's session is not", async () => {
    const user = await signUpWithToken(system);
    const second = await signIn(user);
    const bystander = await signUpWithToken(system);
    for (const token of [user.token, second]) expect(await seenBy(token)).toEqual(accepted(user));

    const res = await send(system, 'POST', '/api/users/signout-everywhere', { cookie: `session=${second}` });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { revoked: 2 } });

    expect(await refusedEverywhere(user.token)).toBeLessThan(WITHIN_MS);
    expect(await refusedEverywhere(second)).toBeLessThan(WITHIN_MS);
    expect(await seenBy(bystander.token)).toEqual(accepted(bystander));
  });

  it('when the user signs in again after signing out everywhere, then the new session works everywhere', async () => {
    const user = await signUpWithToken(system);
    await send(system, 'POST', '/api/users/signout-everywhere', { cookie: user.cookie });
    await refusedEverywhere(user.token);

    const fresh = await signIn(user);

    expect(await seenBy(fresh)).toEqual(accepted(user));
  });
});
