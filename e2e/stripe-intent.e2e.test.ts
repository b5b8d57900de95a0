import { eventually, intentEvent, signedWebhook, startStripeStandIn, type IntentEventType, type StripeStandIn } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiUser } from './client.js';
import { orderTicket, sellTicket, signUp, startIntent, waitForOrderStatus, waitForTicket } from './flows.js';
import { RunningSystem } from './system.js';

/**
 * The whole system taking money through Stripe's PaymentIntents, with the local stand-in of
 * Stripe's API in Stripe's place (what the buyer's browser does at Stripe is the stand-in's test
 * controls) and signed webhooks POSTed to payments as Stripe POSTs them. A 4-second window lets
 * an order expire while its buyer is still paying.
 */
const WEBHOOK_SECRET = 'whsec_e2e_0000000000000000';
const WINDOW_SECONDS = 4;
let stripe: StripeStandIn;
let system: RunningSystem;
beforeAll(async () => {
  stripe = await startStripeStandIn();
  system = await RunningSystem.start({
    env: {
      STRIPE_SECRET_KEY: 'sk_test_e2e_0000',
      STRIPE_API_URL: stripe.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS),
    },
  });
});
afterAll(async () => {
  await system?.stop();
  await stripe?.close();
});

/** Stripe telling payments about an intent: the event as Stripe sends it, signed. */
async function webhook(intentId: string, type: IntentEventType) {
  const { payload, header } = signedWebhook(intentEvent(stripe.fake.intent(intentId), type), WEBHOOK_SECRET);
  return fetch(`${system.url('payments')}/api/payments/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': header },
    body: payload,
  });
}

/** The refund requests naming this intent. */
const refundsOf = (intentId: string) => stripe.refunds().filter((r) => r.form.payment_intent === intentId);

async function orderWithIntent(buyer: ApiUser, seller: ApiUser, price = 30) {
  const ticket = await sellTicket(seller, 'Recital', price);
  const order = await orderTicket(buyer, ticket.id);
  const res = await startIntent(buyer, order.body.id);
  expect(res.status).toBe(201);
  const intent = stripe.fake.intents().find((i) => i.clientSecret === res.body.clientSecret)!;
  return { ticket, order: order.body as { id: string }, intent };
}

describe('paying through a Stripe payment intent, across the running services', () => {
  it('when the buyer confirms and Stripe\'s webhook arrives (twice), then the order is complete once', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const { ticket, order, intent } = await orderWithIntent(buyer, seller, 30);
    expect(intent).toMatchObject({ amount: 3000, currency: 'usd', metadata: { order_id: order.id } });
    await waitForOrderStatus(buyer, order.id, 'awaiting:payment');

    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');
    const first = await webhook(intent.id, 'payment_intent.succeeded');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true });
    expect((await webhook(intent.id, 'payment_intent.succeeded')).status).toBe(200);

    const complete = await waitForOrderStatus(buyer, order.id, 'complete');
    expect(complete.version).toBe(2);
    expect((await seller.get(`/api/tickets/${ticket.id}`)).body.orderId).toBe(order.id);
    expect(refundsOf(intent.id)).toEqual([]);
  });

  it('when a webhook is signed with another secret, then 400 and the order still awaits payment', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const { order, intent } = await orderWithIntent(buyer, seller);
    await waitForOrderStatus(buyer, order.id, 'awaiting:payment');
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');
    const { payload, header } = signedWebhook(intentEvent(stripe.fake.intent(intent.id), 'payment_intent.succeeded'), 'whsec_forged');

    const res = await fetch(`${system.url('payments')}/api/payments/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header }, body: payload });

    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: 'Invalid webhook signature' }] });
    expect((await buyer.get(`/api/orders/${order.id}`)).body.status).toBe('awaiting:payment');
  });

  it('when the buyer abandons 3-D Secure, then the order expires, the ticket is free, and the intent is cancelled at Stripe', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const { ticket, order, intent } = await orderWithIntent(buyer, seller);
    stripe.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');

    await waitForOrderStatus(buyer, order.id, 'cancelled', 20_000);
    await waitForTicket(seller, ticket.id, (t) => t.orderId === null, 'free again');
    await eventually(() => stripe.fake.intent(intent.id).status === 'canceled', { what: 'the intent cancelled at Stripe', timeoutMs: 20_000 });
    expect(refundsOf(intent.id)).toEqual([]);
  });

  it('when the intent succeeds after the order expired, then the money goes back through a refund against the intent', async () => {
    const seller = await signUp(system);
    const buyer = await signUp(system);
    const { ticket, order, intent } = await orderWithIntent(buyer, seller);
    stripe.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');
    await waitForOrderStatus(buyer, order.id, 'cancelled', 20_000);

    // The bank's answer comes after all: the buyer's payment succeeds just as payments asks
    // Stripe to cancel the intent, so the cancel is refused and the intent has the money.
    stripe.respondWith((req) => {
      if (req.path === `/v1/payment_intents/${intent.id}/cancel` && stripe.fake.intent(intent.id).status === 'requires_action') {
        stripe.fake.completeAuthentication(intent.id, true);
      }
      return stripe.fake.respond(req);
    });
    try {
      await eventually(() => stripe.fake.intent(intent.id).refunded, { what: 'the late payment refunded', timeoutMs: 20_000 });
    } finally {
      stripe.respondWith(stripe.fake.respond);
    }
    expect(refundsOf(intent.id)).toHaveLength(1);
    // Its webhook, arriving late, changes nothing.
    expect((await webhook(intent.id, 'payment_intent.succeeded')).status).toBe(200);
    expect((await buyer.get(`/api/orders/${order.id}`)).body.status).toBe('cancelled');
    await waitForTicket(seller, ticket.id, (t) => t.orderId === null, 'still free');
  });
});
