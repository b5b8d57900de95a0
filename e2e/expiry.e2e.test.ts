import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedIds, orderTicket, payOrder, sellTicket, signUp, waitForOrderStatus, waitForTicket } from './flows.js';
import { RunningSystem } from './system.js';

/** The whole system with a 3-second reservation window. */
const WINDOW_SECONDS = 3;
let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start({ env: { EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS) } });
});
afterAll(() => system?.stop());

describe('orders that expire', () => {
  it('when an order is not paid within the window, then it is cancelled and its ticket freed', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    expect(order.status).toBe(201);
    const expiresAt = Date.parse(order.body.expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(WINDOW_SECONDS * 1000);

    const cancelled = await waitForOrderStatus(buyer, order.body.id, 'cancelled', 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(cancelled.version).toBe(1);
    await waitForTicket(seller, ticket.id, (t) => t.orderId === null, 'freed');
    expect(await listedIds(seller)).toContain(ticket.id);

    const late = await buyer.post('/api/payments', { orderId: order.body.id, token: 'tok_visa' });
    expect(late.status).toBe(400);
  });

  it('when an order is paid within the window, then it stays complete after the window passes', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    const payment = await payOrder(buyer, order.body.id);
    expect(payment.status).toBe(201);
    await waitForOrderStatus(buyer, order.body.id, 'complete');

    await new Promise((r) => setTimeout(r, WINDOW_SECONDS * 1000 + 1500));
    const after = await buyer.get(`/api/orders/${order.body.id}`);
    expect(after.body).toMatchObject({ status: 'complete', version: 1 });
    expect((await seller.get(`/api/tickets/${ticket.id}`)).body.orderId).toBe(order.body.id);
  });

  it('when the window has passed but the cancel has not arrived yet, then payment is still refused', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    // Stop expiration so no cancel is published; payments must refuse on expiresAt alone.
    await system.kill('expiration');
    try {
      await payOrder(buyer, order.body.id, 'tok_chargeDeclined');
      const wait = Date.parse(order.body.expiresAt) - Date.now() + 200;
      await new Promise((r) => setTimeout(r, Math.max(wait, 0)));
      const res = await buyer.post('/api/payments', { orderId: order.body.id, token: 'tok_visa' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].message).toMatch(/expired/i);
    } finally {
      await system.startService('expiration');
    }
    // Restarted, the expiration service still fires the timer it stored.
    await waitForOrderStatus(buyer, order.body.id, 'cancelled');
  });
});
