/**
 * Owner-only routes against the whole running system: another signed-in user is refused
 * (403 on someone's ticket; 404 on someone's order, with the very body an unknown id gets, so
 * an order's existence does not leak), the error names nothing of the owner's, and nothing changes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, ApiUser } from '../client.js';
import { signUp } from '../flows.js';
import { orderTicket, payOrder, sellTicket, waitForOrderStatus } from '../flows.js';
import { RunningSystem } from '../system.js';

let system: RunningSystem;
let owner: ApiUser;
let intruder: ApiUser;
let ownTicket: { id: string; title: string; price: number; version: number };
let order: { id: string; ticket: { title: string } };

beforeAll(async () => {
  system = await RunningSystem.start({ services: ['auth', 'tickets', 'orders', 'payments'] });
  owner = await signUp(system);
  intruder = await signUp(system);
  const seller = await signUp(system);
  ownTicket = await sellTicket(owner, `Owner's private gig ${randomUUID().slice(0, 8)}`, 42);
  const ordered = await orderTicket(owner, (await sellTicket(seller, `Bought gig ${randomUUID().slice(0, 8)}`, 17)).id);
  expect(ordered.status).toBe(201);
  order = ordered.body;
  // The owner's declined card: payments waits for the new order, then holds its replica.
  expect((await owner.post('/api/payments', { orderId: order.id, token: 'tok_chargeDeclined' })).status).toBe(400);
}, 120_000);
afterAll(() => system?.stop());

/** Nothing in a refusal may name the owner, their ticket or their order. */
function expectNoLeak(res: ApiResponse) {
  const text = JSON.stringify(res.body);
  for (const secret of [owner.id, owner.email, ownTicket.title, order.id, order.ticket.title]) expect(text).not.toContain(secret);
}

describe('owner-only routes refuse other users', () => {
  it("when another user edits someone's ticket, then 403 in the error shape, nothing of the owner's in it, and the ticket unchanged", async () => {
    const before = await intruder.get(`/api/tickets/${ownTicket.id}`);

    const res = await intruder.put(`/api/tickets/${ownTicket.id}`, { title: 'Mine now', price: 1 });

    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });
    expectNoLeak(res);
    expect((await intruder.get(`/api/tickets/${ownTicket.id}`)).body).toEqual(before.body);
  });

  it.each([
    ['GET', (id: string) => intruder.get(`/api/orders/${id}`)],
    ['DELETE', (id: string) => intruder.delete(`/api/orders/${id}`)],
    ['POST /api/payments for', (id: string) => intruder.post('/api/payments', { orderId: id, token: 'tok_visa' })],
  ] as const)("when another user tries %s someone's order, then 404 with exactly the body an unknown id gets", async (_, attempt) => {
    const unknown = await attempt(randomUUID());

    const res = await attempt(order.id);

    expect(unknown.status).toBe(404);
    expect({ status: res.status, body: res.body }).toEqual({ status: unknown.status, body: unknown.body });
    expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });
    expectNoLeak(res);
  });

  it("when another user lists orders, then someone's order is not among them", async () => {
    const res = await intruder.get('/api/orders');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('after every refusal, the order is still the owner\'s, still open, and the owner can pay it', async () => {
    await waitForOrderStatus(owner, order.id, 'created');

    const paid = await payOrder(owner, order.id);

    expect(paid.status).toBe(201);
    expect((await waitForOrderStatus(owner, order.id, 'complete')).id).toBe(order.id);
  });

  it("when someone's order is complete, then another user still gets the unknown-id answer, not the owner's 'already complete' or 'already paid'", async () => {
    await waitForOrderStatus(owner, order.id, 'complete');
    const attempts = [
      (id: string) => intruder.delete(`/api/orders/${id}`),
      (id: string) => intruder.post('/api/payments', { orderId: id, token: 'tok_mastercard' }),
    ];

    for (const attempt of attempts) {
      const [unknown, res] = [await attempt(randomUUID()), await attempt(order.id)];
      expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: unknown.body });
      expectNoLeak(res);
    }
  });
});
