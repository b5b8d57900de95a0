import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderTicket, payOrder, sellTicket, signUp, waitForOrderStatus, waitForTicket } from './flows.js';
import { RunningSystem } from './system.js';

let system: RunningSystem;
beforeAll(async () => {
  system = await RunningSystem.start();
});
afterAll(() => system?.stop());

describe('services killed in the middle of a purchase', () => {
  it('when tickets is killed while order.created is on its way, then after restart the ticket is reserved exactly once', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    expect(order.status).toBe(201);
    await system.kill('tickets');
    await system.startService('tickets');
    const reserved = await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved');
    expect(reserved.version).toBe(1);
  });

  it('when orders is killed right after taking an order, then its outbox still publishes it after restart', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    await orderTicketAfterReplication(buyer, ticket.id);
    const order = await buyer.post('/api/orders', { ticketId: ticket.id });
    expect(order.status).toBe(201);
    await system.kill('orders');
    await system.startService('orders');
    await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved');
    const paid = await payOrder(buyer, order.body.id);
    expect(paid.status).toBe(201);
    await waitForOrderStatus(buyer, order.body.id, 'complete');
  });

  it('when orders is killed while payment.created is on its way, then after restart the order completes once', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    const paid = await payOrder(buyer, order.body.id);
    expect(paid.status).toBe(201);
    await system.kill('orders');
    await system.startService('orders');
    const complete = await waitForOrderStatus(buyer, order.body.id, 'complete');
    expect(complete.version).toBe(1);
  });

  it('when payments is killed after charging, then the payment event still reaches orders', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const ticket = await sellTicket(seller);
    const order = await orderTicket(buyer, ticket.id);
    const paid = await payOrder(buyer, order.body.id);
    expect(paid.status).toBe(201);
    await system.kill('payments');
    await system.startService('payments');
    await waitForOrderStatus(buyer, order.body.id, 'complete');
    const again = await buyer.post('/api/payments', { orderId: order.body.id, token: 'tok_visa' });
    expect(again.status).toBe(400);
  });
});

/** Makes sure the orders service has the ticket replica, without leaving an order behind. */
async function orderTicketAfterReplication(buyer: Awaited<ReturnType<typeof signUp>>, ticketId: string) {
  const probe = await orderTicket(buyer, ticketId);
  expect(probe.status).toBe(201);
  expect((await buyer.delete(`/api/orders/${probe.body.id}`)).status).toBe(204);
  await eventuallyFree(buyer, ticketId);
}

async function eventuallyFree(user: Awaited<ReturnType<typeof signUp>>, ticketId: string) {
  await waitForTicket(user, ticketId, (t) => t.orderId === null && t.version === 2, 'free after the probe');
}
