import { cardDeclined, eventually, publishTestEvent, type StripeStandIn } from '@ticketing/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { anOrder, attemptsOf, expectError, pay, paymentsOf, replicaOf, replicate, startIntent, type Payments } from './helpers.js';
import { aUser, startPayments, startPaymentsOnStripe } from './setup.js';

/**
 * Paying for an order the moment it exists, and never for one cancelled a moment ago: the
 * orders service answers for the order as it is now (orders.payment-claim), while this
 * service's replica may trail it. Charges go to the Stripe stand-in, which records each one.
 */
let stripe: StripeStandIn;
let t: Payments;
beforeAll(async () => {
  ({ t, stripe } = await startPaymentsOnStripe({ PAYMENT_ORDER_WAIT_SECONDS: '3' }));
});
afterAll(async () => {
  await t?.close();
  await stripe?.close();
});
beforeEach(() => {
  stripe.requests.length = 0;
  stripe.respondWith(stripe.fake.respond);
});

/** The charges the provider was asked for, for one order. */
const chargesFor = (orderId: string) => stripe.charges().filter((r) => r.form.description === `Ticketing order ${orderId}`);

describe('POST /api/payments for an order this service has not heard of yet', () => {
  it('when its order.created arrives while the request waits, then the one request answers 201', async () => {
    const buyer = await aUser();
    const order = anOrder({ userId: buyer.id });
    await t.orders.hold(order); // orders has it; its event is still on the way
    const paying = pay(t, buyer, { orderId: order.id, token: 'tok_visa' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await replicaOf(t, order.id)).toBeUndefined(); // the request is waiting, not answered
    await publishTestEvent(t.bus, 'order.created', order);

    const res = await paying;
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), orderId: order.id });
    expect(chargesFor(order.id)).toHaveLength(1);
  });

  it('when the order does not exist, then 404 at once (orders says so), without waiting out the bound', async () => {
    const buyer = await aUser();
    const order = anOrder({ userId: buyer.id });
    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });
    expectError(res, 404, 'Order not found');
    expect(stripe.requests).toEqual([]);
  });

  it('when orders has it but its event never arrives within the bound, then 503 to try again, and nothing is charged', async () => {
    const buyer = await aUser();
    const order = anOrder({ userId: buyer.id });
    await t.orders.hold(order);
    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });
    expectError(res, 503, 'The order is not ready for payment yet; try again in a moment');
    expect(stripe.requests).toEqual([]);
  });

  it('when it is someone else\'s order, then 404, and nothing is charged', async () => {
    const [buyer, stranger] = [await aUser(), await aUser()];
    const order = anOrder({ userId: buyer.id });
    await t.orders.hold(order);
    expectError(await pay(t, stranger, { orderId: order.id, token: 'tok_visa' }), 404, 'Order not found');
    expect(stripe.requests).toEqual([]);
  });
});

describe('POST /api/payments for an order cancelled a moment ago', () => {
  it('when the replica has not heard of the cancel yet, then 400, no charge reaches the provider, and nothing is recorded', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));
    await t.orders.setStatus(order.id, 'cancelled', 1); // order.cancelled not published yet
    expect((await replicaOf(t, order.id))!.status).toBe('created');

    expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_visa' }), 400, 'Cannot pay for a cancelled order');
    expect(stripe.requests).toEqual([]);
    expect(await attemptsOf(t, order.id)).toEqual([]);
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it('when the buyer starts a payment intent for it, then 400 too, and no intent is made', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));
    await t.orders.setStatus(order.id, 'cancelled', 1);
    expectError(await startIntent(t, buyer, { orderId: order.id }), 400, 'Cannot pay for a cancelled order');
    expect(stripe.requests).toEqual([]);
  });

  it('when orders says it is paid or past its deadline, then 400 with that reason', async () => {
    const buyer = await aUser();
    const paid = await replicate(t, anOrder({ userId: buyer.id }));
    await t.orders.setStatus(paid.id, 'complete', 1);
    expectError(await pay(t, buyer, { orderId: paid.id, token: 'tok_visa' }), 400, 'Order has already been paid');
    expect(stripe.requests).toEqual([]);
  });
});

describe('the claim a charge holds', () => {
  it('when the charge succeeds, then the order was held for it (the buyer could not cancel meanwhile)', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));
    let heldDuringCharge: Date | null = null;
    stripe.respondWith(async (req) => {
      if (req.path === '/v1/charges') heldDuringCharge = await t.orders.claimOf(order.id);
      return stripe.fake.respond(req);
    });
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);
    expect(heldDuringCharge!.getTime()).toBeGreaterThan(Date.now() + 60_000);
  });

  it('when the card is declined, then the claim is let go at once, so the buyer may cancel', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));
    stripe.respondWith(() => cardDeclined);
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclined' })).status).toBe(400);
    expect(await t.orders.claimOf(order.id)).toBeNull();
  });
});

describe('when the orders service does not answer', () => {
  it('then 503 to try again, and nothing is charged or recorded', async () => {
    const lone = await startPayments();
    try {
      await lone.orders.close(); // no replica answers the claim any more
      const buyer = await aUser();
      const order = anOrder({ userId: buyer.id });
      await lone.listen(listeners);
      await publishTestEvent(lone.bus, 'order.created', order);
      await eventually(async () => (await replicaOf(lone, order.id)) !== undefined, { what: 'the replica' });
      const res = await lone.http.post('/api/payments').set('Cookie', buyer.cookie).send({ orderId: order.id, token: 'tok_visa' });
      expectError(res, 503, 'Orders service unavailable; try again in a moment');
      expect(await attemptsOf(lone, order.id)).toEqual([]);
    } finally {
      await lone.close().catch(() => {});
    }
  });
});
