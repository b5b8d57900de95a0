import { eventually } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiUser } from './client.js';
import { listedIds, orderTicket, payOrder, sellTicket, signUp, startIntent, waitForOrderStatus, waitForTicket } from './flows.js';
import { RunningSystem } from './system.js';

let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start();
});
afterAll(() => system?.stop());

describe('buying a ticket across the running services', () => {
  it('when a buyer orders and pays, then the order is complete and the ticket stays taken', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller, 'Opera', 42.5);

    const order = await orderTicket(buyer, ticket.id);
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'created', userId: buyer.id, ticket: { id: ticket.id, title: 'Opera', price: 42.5 } });
    await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved by the order');
    expect(await listedIds(buyer)).not.toContain(ticket.id);

    const payment = await payOrder(buyer, order.body.id);
    expect(payment.status).toBe(201);
    expect(payment.body).toEqual({ id: expect.any(String), orderId: order.body.id });
    const complete = await waitForOrderStatus(buyer, order.body.id, 'complete');
    expect(complete.version).toBe(1);

    const again = await buyer.post('/api/payments', { orderId: order.body.id, token: 'tok_visa' });
    expect(again.status).toBe(400);
    expect((await buyer.delete(`/api/orders/${order.body.id}`)).status).toBe(400);
    // Tickets hears order.completed: the ticket is sold to this order (version 2), for good.
    const sold = await waitForTicket(seller, ticket.id, (t) => t.status === 'sold', 'sold');
    expect(sold).toMatchObject({ orderId: order.body.id, version: 2, status: 'sold' });
    expect(await listedIds(buyer)).not.toContain(ticket.id);
    expect((await seller.put(`/api/tickets/${ticket.id}`, { title: 'Resold', price: 1 })).status).toBe(400);
    const other = await signUp(system);
    expect((await other.post('/api/orders', { ticketId: ticket.id })).status).toBe(409);
  });

  it('when a buyer pays through a payment intent (sandbox, 3-D Secure), then the order awaits payment, then is complete, and the ticket stays taken', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller, 'Ballet', 37.25);
    const order = await orderTicket(buyer, ticket.id);

    const intent = await startIntent(buyer, order.body.id);
    expect(intent.status).toBe(201);
    expect(intent.body).toMatchObject({ orderId: order.body.id, provider: 'sandbox', status: 'requires_payment_method', amount: 37.25, currency: 'usd' });
    const awaiting = await waitForOrderStatus(buyer, order.body.id, 'awaiting:payment');
    expect(awaiting.version).toBe(1);
    const { clientSecret } = intent.body as { clientSecret: string };

    const challenged = await buyer.post('/api/payments/sandbox/confirm', { clientSecret, paymentMethod: 'pm_card_authenticationRequired' });
    expect(challenged.body).toEqual({ status: 'requires_action', lastError: null });
    const passed = await buyer.post('/api/payments/sandbox/authenticate', { clientSecret, outcome: 'complete' });
    expect(passed.body).toEqual({ status: 'succeeded', lastError: null });

    const complete = await waitForOrderStatus(buyer, order.body.id, 'complete');
    expect(complete.version).toBe(2);
    expect((await buyer.post('/api/payments/intents', { orderId: order.body.id })).status).toBe(400);
    expect((await buyer.delete(`/api/orders/${order.body.id}`)).status).toBe(400);
    const sold = await waitForTicket(seller, ticket.id, (t) => t.status === 'sold', 'sold');
    expect(sold).toMatchObject({ orderId: order.body.id, version: 2 });
  });

  it('when a buyer cancels an order awaiting payment, then the ticket is free again and the intent can no longer pay', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    const { clientSecret } = (await startIntent(buyer, order.body.id)).body as { clientSecret: string };
    await waitForOrderStatus(buyer, order.body.id, 'awaiting:payment');

    expect((await buyer.delete(`/api/orders/${order.body.id}`)).status).toBe(204);
    await waitForTicket(seller, ticket.id, (t) => t.orderId === null, 'free again');

    const refused = await eventually(async () => {
      const res = await buyer.post('/api/payments/sandbox/confirm', { clientSecret, paymentMethod: 'pm_card_visa' });
      return res.status === 400 && res;
    }, { what: 'payments to hear of the cancel' });
    expect(refused.body.errors[0].message).toMatch(/cancelled/i);
    expect((await buyer.get(`/api/orders/${order.body.id}`)).body.status).toBe('cancelled');
  });

  it('when a buyer cancels, then the ticket is free again and another buyer can buy it', async () => {
    const seller = await signUp(system);
    const first = await signUp(system);
    const second = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(first, ticket.id);
    expect(order.status).toBe(201);
    await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved');

    expect((await first.delete(`/api/orders/${order.body.id}`)).status).toBe(204);
    expect((await first.get(`/api/orders/${order.body.id}`)).body.status).toBe('cancelled');
    await waitForTicket(seller, ticket.id, (t) => t.orderId === null && t.version === 2, 'free again');
    expect(await listedIds(second)).toContain(ticket.id);

    const secondOrder = await second.post('/api/orders', { ticketId: ticket.id });
    expect(secondOrder.status).toBe(201);
    await waitForTicket(seller, ticket.id, (t) => t.orderId === secondOrder.body.id, 'reserved by the second buyer');
  });

  it('when a cancelled order is paid, then the payment is refused and nothing is charged', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    // Wait until payments knows the order, then cancel it.
    await payOrder(buyer, order.body.id, 'tok_chargeDeclined');
    expect((await buyer.delete(`/api/orders/${order.body.id}`)).status).toBe(204);

    const refused = await eventually400(buyer, order.body.id);
    expect(refused.body.errors[0].message).toMatch(/cancelled/i);
    const withCard = await buyer.post('/api/payments', { orderId: order.body.id, token: 'tok_visa' });
    expect(withCard.status).toBe(400);
    expect(withCard.body.errors[0].message).toMatch(/cancelled/i);
    expect((await buyer.get(`/api/orders/${order.body.id}`)).body.status).toBe('cancelled');
  });

  it('when 25 buyers race for one ticket, then exactly one order is created', async () => {
    const seller = await signUp(system);
    const ticket = await sellTicket(seller);
    const buyers = await Promise.all(Array.from({ length: 25 }, () => signUp(system)));
    await orderTicketProbe(buyers[0]!, ticket.id);

    const results = await Promise.all(buyers.map((b) => b.post('/api/orders', { ticketId: ticket.id })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(24);
    const winner = results.find((r) => r.status === 201)!;
    // Versions: 1 and 2 were the probe's reserve and release; 3 is the winner's reservation, once.
    await waitForTicket(seller, ticket.id, (t) => t.orderId === winner.body.id && t.version === 3, 'reserved once');
  });

  it('when a ticket is edited before it is ordered, then the order shows the latest edit', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller, 'Draft', 10);
    for (const [i, price] of [11, 12, 13].entries()) {
      const res = await seller.put(`/api/tickets/${ticket.id}`, { title: `Edit ${i + 1}`, price });
      expect(res.status).toBe(200);
    }
    const order = await orderTicket(buyer, ticket.id);
    expect(order.status).toBe(201);
    const shown = await eventually(
      async () => {
        const res = await buyer.get(`/api/orders/${order.body.id}`);
        return res.body.ticket.title === 'Edit 3' && res.body;
      },
      { what: 'the order to show the last edit' },
    );
    expect(shown.ticket).toEqual({ id: ticket.id, title: 'Edit 3', price: 13 });
    // After the reservation the ticket is no longer editable.
    await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved');
    expect((await seller.put(`/api/tickets/${ticket.id}`, { title: 'Late', price: 1 })).status).toBe(400);
  });
});

/** Orders with a throwaway attempt until the orders service knows the ticket, then cancels. */
async function orderTicketProbe(buyer: ApiUser, ticketId: string) {
  const probe = await orderTicket(buyer, ticketId);
  expect(probe.status).toBe(201);
  expect((await buyer.delete(`/api/orders/${probe.body.id}`)).status).toBe(204);
}

/**
 * Payments learns of the cancel through order.cancelled. Until then it checks the order's
 * state before the card, so probing with an invalid token can never charge anything.
 */
async function eventually400(buyer: ApiUser, orderId: string) {
  const statuses: number[] = [];
  const refused = await eventually(
    async () => {
      const res = await buyer.post('/api/payments', { orderId, token: 'tok_not_a_card' });
      statuses.push(res.status);
      return res.status === 400 && /cancelled/i.test(res.body.errors[0].message) && res;
    },
    { what: 'payments to refuse the cancelled order' },
  );
  expect(statuses).not.toContain(201);
  return refused;
}
