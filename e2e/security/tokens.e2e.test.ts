/**
 * Forged sessions against the whole running system: every service must treat each forgery as
 * signed out (auth: no current user; tickets, orders, payments: 401 in the error shape) and
 * change nothing. A genuine token built the same way is accepted everywhere, so each forgery
 * fails for its one flaw.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiUser } from '../client.js';
import { signUp } from '../flows.js';
import { orderTicket, payOrder, sellTicket } from '../flows.js';
import { RunningSystem } from '../system.js';
import { forgeries, genuineToken } from './forged-tokens.js';
import { send, signUpWithToken, type SignedUp } from './http.js';

let system: RunningSystem;
let victim: ApiUser;
let attacker: SignedUp;
let victimTicket: { id: string };
let victimOrder: { id: string };
let otherTicket: { id: string };

beforeAll(async () => {
  system = await RunningSystem.start({ services: ['auth', 'tickets', 'orders', 'payments'] });
  victim = await signUp(system);
  attacker = await signUpWithToken(system);
  const seller = await signUp(system);
  victimTicket = await sellTicket(victim, 'Victim ticket', 30);
  otherTicket = await sellTicket(seller, 'Free ticket', 15);
  const ordered = await orderTicket(victim, (await sellTicket(seller, 'Reserved ticket', 25)).id);
  expect(ordered.status).toBe(201);
  victimOrder = ordered.body;
}, 120_000);
afterAll(() => system?.stop());

/** Every protected route of every service, as the victim's session would use it. */
const protectedRoutes = () => [
  { method: 'POST', path: '/api/tickets', body: { title: 'Forged', price: 1 } },
  { method: 'PUT', path: `/api/tickets/${victimTicket.id}`, body: { title: 'Hijacked', price: 1 } },
  { method: 'GET', path: '/api/orders' },
  { method: 'POST', path: '/api/orders', body: { ticketId: otherTicket.id } },
  { method: 'GET', path: `/api/orders/${victimOrder.id}` },
  { method: 'DELETE', path: `/api/orders/${victimOrder.id}` },
  { method: 'POST', path: '/api/payments', body: { orderId: victimOrder.id, token: 'tok_visa' } },
];

/** What a forged request could change, as the victim and everyone else see it. */
async function observableState() {
  const [tickets, ticket, orders, order, other] = await Promise.all([
    victim.get('/api/tickets?limit=200'),
    victim.get(`/api/tickets/${victimTicket.id}`),
    victim.get('/api/orders'),
    victim.get(`/api/orders/${victimOrder.id}`),
    victim.get(`/api/tickets/${otherTicket.id}`),
  ]);
  return { tickets: tickets.body, ticket: ticket.body, orders: orders.body, order: order.body, other: other.body };
}

describe('forged session tokens across every service', () => {
  it('when a genuine token for the victim is built the same way, then every service accepts it', async () => {
    const cookie = `session=${genuineToken({ id: victim.id, email: victim.email })}`;

    const me = await send(system, 'GET', '/api/users/currentuser', { cookie });
    const orders = await send(system, 'GET', '/api/orders', { cookie });
    const order = await send(system, 'GET', `/api/orders/${victimOrder.id}`, { cookie });
    const edit = await send(system, 'PUT', `/api/tickets/${victimTicket.id}`, { cookie, body: { title: 'Victim ticket', price: 30 } });
    // Signed in, so payments looks the order up (and knows no such one) instead of answering 401.
    const unknownOrder = await send(system, 'POST', '/api/payments', { cookie, body: { orderId: randomUUID(), token: 'tok_visa' } });

    expect(me.body).toEqual({ currentUser: { id: victim.id, email: victim.email } });
    expect(orders.status).toBe(200);
    expect(order.status).toBe(200);
    expect(edit.status).toBe(200);
    expect(unknownOrder.status).toBe(404);
  });

  it.each(Object.keys(forgeries))('when the session cookie holds a token %s, then every service treats the request as signed out and nothing changes', async (name) => {
    const cookie = `session=${forgeries[name]!({ id: victim.id, email: victim.email }, attacker.token)}`;
    const before = await observableState();

    const me = await send(system, 'GET', '/api/users/currentuser', { cookie });
    const refused = await Promise.all(protectedRoutes().map(async (r) => ({ ...r, res: await send(system, r.method, r.path, { cookie, body: r.body }) })));

    expect({ name, me: me.status, body: me.body }).toEqual({ name, me: 200, body: { currentUser: null } });
    for (const { method, path, res } of refused) {
      expect({ name, method, path, status: res.status, type: res.headers.get('content-type') }).toEqual({
        name,
        method,
        path,
        status: 401,
        type: expect.stringMatching(/^application\/json/),
      });
      expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });
    }
    expect(await observableState()).toEqual(before);
  });

  it('after every forgery, the victim can still pay their order: no forged payment or cancellation went through', async () => {
    const paid = await payOrder(victim, victimOrder.id);

    expect(paid.status).toBe(201);
  });
});
