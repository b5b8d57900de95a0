/**
 * A purchase through the cluster's entry point (the Gateway, routed by the dev overlay's
 * HTTPRoute), with the sandbox payment provider the dev overlay runs: by card token (the
 * legacy route) and through the order's PaymentIntent, as the order page does.
 */
import { describe, expect, it } from 'vitest';
import { listedIds, orderTicket, payOrder, sellTicket, startIntent, waitForOrderStatus, waitForTicket } from '../flows.js';
import { BASE_URL, signUp } from './cluster.js';

/** Events cross pods and a JetStream server on a CI runner: give each step more room than on one machine. */
const WAIT_MS = 60_000;

describe('a purchase through the cluster', () => {
  it('when the entry point is asked for a page and the current user, then the client and auth answer through the Gateway', async () => {
    const page = await fetch(`${BASE_URL}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const current = await fetch(`${BASE_URL}/api/users/currentuser`);
    expect({ status: current.status, body: await current.json() }).toEqual({ status: 200, body: { currentUser: null } });
  });

  it('when a buyer orders and pays with a card token, then the order is complete and the ticket is theirs alone', async () => {
    const seller = await signUp();
    const buyer = await signUp();
    const ticket = await sellTicket(seller, 'Kind live', 31);

    const order = await orderTicket(buyer, ticket.id);
    expect(order.status).toBe(201);
    await waitForTicket(seller, ticket.id, (t) => t.orderId === order.body.id, 'reserved by the order', WAIT_MS);

    const payment = await payOrder(buyer, order.body.id, 'tok_visa');
    expect(payment.status).toBe(201);
    const complete = await waitForOrderStatus(buyer, order.body.id, 'complete', WAIT_MS);
    expect(complete.version).toBe(1);

    expect((await buyer.post('/api/payments', { orderId: order.body.id, token: 'tok_visa' })).status).toBe(400);
    expect(await listedIds(buyer)).not.toContain(ticket.id);
    const other = await signUp();
    expect((await other.post('/api/orders', { ticketId: ticket.id })).status).toBe(409);
  });

  it('when a buyer pays through the payment intent with pm_card_visa, then the order awaits payment, then is complete', async () => {
    const seller = await signUp();
    const buyer = await signUp();
    const ticket = await sellTicket(seller, 'Kind intent', 44.5);
    const order = await orderTicket(buyer, ticket.id);

    const intent = await startIntent(buyer, order.body.id);
    expect(intent.status).toBe(201);
    expect(intent.body).toMatchObject({ orderId: order.body.id, provider: 'sandbox', amount: 44.5 });
    await waitForOrderStatus(buyer, order.body.id, 'awaiting:payment', WAIT_MS);

    const confirmed = await buyer.post('/api/payments/sandbox/confirm', { clientSecret: intent.body.clientSecret, paymentMethod: 'pm_card_visa' });
    expect(confirmed.body).toEqual({ status: 'succeeded', lastError: null });
    const complete = await waitForOrderStatus(buyer, order.body.id, 'complete', WAIT_MS);
    expect(complete.version).toBe(2);
    expect((await buyer.post('/api/payments/intents', { orderId: order.body.id })).status).toBe(400);
    const sold = await waitForTicket(seller, ticket.id, (t) => t.status === 'sold', 'sold', WAIT_MS);
    expect(sold).toMatchObject({ orderId: order.body.id, version: 2 });
  });
});
