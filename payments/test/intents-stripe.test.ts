import { eventually, intentEvent, signedWebhook, type IntentEventType, type StripeStandIn } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chooseProvider } from '../src/providers/choose-provider.js';
import { reconcileIntents } from '../src/reconcile-intents.js';
import {
  anOrder,
  attemptsOf,
  cancel,
  expectError,
  paymentsOf,
  paymentState,
  publishedPayments,
  publishedStarts,
  replicate,
  startIntent,
  type Payments,
  type User,
} from './helpers.js';
import { aUser, STRIPE_TEST_KEY, startPaymentsOnStripe } from './setup.js';

/**
 * Payment intents through the real routes and the Stripe SDK, against the local stand-in of
 * Stripe's API (which checks what is sent and keeps the intents), with webhooks signed by the
 * SDK's own test signer.
 */
const WEBHOOK_SECRET = 'whsec_standin_0000000000000000';

let stripe: StripeStandIn;
let t: Payments;
beforeAll(async () => {
  ({ t, stripe } = await startPaymentsOnStripe({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }));
});
afterAll(async () => {
  await t?.close();
  await stripe?.close();
});
beforeEach(() => {
  stripe.requests.length = 0;
  stripe.respondWith(stripe.fake.respond);
});

const provider = () => chooseProvider(t.service.config, t.service.logger, t.service.database.db);
const reconcile = () => reconcileIntents(t.service, provider(), { reconcileAfterMs: 0, batchSize: 50, backoff: { baseMs: 10, maxMs: 10 } });

async function orderOf(buyer: User, price = 20.5) {
  return replicate(t, anOrder({ userId: buyer.id, ticket: { id: randomUUID(), price } }));
}

/** An order with its intent started (201); the intent as the fake holds it. */
async function startedIntent(buyer: User, price = 20.5) {
  const order = await orderOf(buyer, price);
  const res = await startIntent(t, buyer, { orderId: order.id });
  expect(res.status).toBe(201);
  const intent = stripe.fake.intents().find((i) => i.clientSecret === res.body.clientSecret)!;
  return { order, intent, res };
}

/** POSTs a webhook as Stripe does: the raw JSON and its signature. */
function deliver(body: object | string, header: string) {
  return t.http.post('/api/payments/webhook').set('Content-Type', 'application/json; charset=utf-8').set('Stripe-Signature', header).send(typeof body === 'string' ? body : JSON.stringify(body));
}
function deliverEvent(intentId: string, type: IntentEventType, secret = WEBHOOK_SECRET, timestamp?: number) {
  const event = intentEvent(stripe.fake.intent(intentId), type);
  const { payload, header } = signedWebhook(event, secret, timestamp === undefined ? {} : { timestamp });
  return { event, send: () => deliver(payload, header) };
}

describe('POST /api/payments/intents (stripe)', () => {
  it('when a buyer starts paying, then the SDK creates an intent with cents, usd, the order and attempt in metadata and the order\'s key, and 201 gives the client secret', async () => {
    const buyer = await aUser();
    const { order, intent, res } = await startedIntent(buyer, 20.5);

    expect(res.body).toEqual({
      orderId: order.id,
      provider: 'stripe',
      clientSecret: intent.clientSecret,
      status: 'requires_payment_method',
      amount: 20.5,
      currency: 'usd',
      lastError: null,
    });
    const [attempt] = await attemptsOf(t, order.id);
    expect(attempt).toMatchObject({ kind: 'intent', state: 'pending', intentId: intent.id, idempotencyKey: `intent-${order.id}`, amountCents: 2050 });
    const [sent] = stripe.intents();
    expect(sent!.form).toEqual({
      amount: '2050',
      currency: 'usd',
      description: `Ticketing order ${order.id}`,
      'metadata[order_id]': order.id,
      'metadata[attempt_id]': attempt!.id,
      'automatic_payment_methods[enabled]': 'true',
    });
    expect(sent!.headers['idempotency-key']).toBe(`intent-${order.id}`);
    expect(sent!.headers.authorization).toBe(`Bearer ${STRIPE_TEST_KEY}`);
    expect((await publishedStarts(t)).filter((e) => e.orderId === order.id)).toEqual([{ id: attempt!.id, orderId: order.id }]);
  });

  it('when the buyer comes back, then 200 resumes the same intent (retrieved, not created again) and payment.started is not repeated', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);

    const again = await startIntent(t, buyer, { orderId: order.id });

    expect(again.status).toBe(200);
    expect(again.body.clientSecret).toBe(intent.clientSecret);
    expect(stripe.intents()).toHaveLength(1);
    expect(stripe.requests.filter((r) => r.method === 'GET' && r.path === `/v1/payment_intents/${intent.id}`)).toHaveLength(1);
    expect((await publishedStarts(t)).filter((e) => e.orderId === order.id)).toHaveLength(1);
  });

  it('when the card was declined, then resuming says so (lastError) and the buyer may try another', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_chargeDeclined');

    const again = await startIntent(t, buyer, { orderId: order.id });

    expect(again.body).toMatchObject({ status: 'requires_payment_method', lastError: 'Your card was declined.' });
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it.each([0.01, 0.49])('when the order costs %s dollars, under the $0.50 minimum, then 400 and Stripe is never called', async (price) => {
    const buyer = await aUser();
    const order = await orderOf(buyer, price);

    expectError(await startIntent(t, buyer, { orderId: order.id }), 400, 'Amount is below the minimum charge of $0.50');
    expect(stripe.requests).toEqual([]);
    expect(await attemptsOf(t, order.id)).toEqual([]);
  });

  it('when Stripe is down, then 502 and a later try creates the intent under the same key', async () => {
    const buyer = await aUser();
    const order = await orderOf(buyer);
    stripe.respondWith(() => ({ status: 500, body: { error: { type: 'api_error', message: 'down' } } }));

    expectError(await startIntent(t, buyer, { orderId: order.id }), 502, 'Payment provider unavailable');
    stripe.respondWith(stripe.fake.respond);
    const res = await startIntent(t, buyer, { orderId: order.id });

    expect(res.status).toBe(201);
    expect(stripe.intents().map((r) => r.headers['idempotency-key'])).toEqual([`intent-${order.id}`, `intent-${order.id}`]);
    expect(await attemptsOf(t, order.id)).toHaveLength(1);
  });

  it('when the order is not the buyer\'s, cancelled or unknown, then 404 or 400 and Stripe is never called', async () => {
    const buyer = await aUser();
    const order = await orderOf(buyer);
    const cancelled = await orderOf(buyer);
    await cancel(t, cancelled);

    expectError(await startIntent(t, await aUser(), { orderId: order.id }), 404, 'Order not found');
    expectError(await startIntent(t, buyer, { orderId: randomUUID() }), 404, 'Order not found');
    expectError(await startIntent(t, buyer, { orderId: cancelled.id }), 400, 'Cannot pay for a cancelled order');
    expectError(await startIntent(t, buyer, { orderId: 'nope' }), 400, 'Order id must be a UUID', 'orderId');
    expect((await t.http.post('/api/payments/intents').send({ orderId: order.id })).status).toBe(401);
    expect(stripe.requests).toEqual([]);
  });
});

describe('POST /api/payments/webhook', () => {
  it('when payment_intent.succeeded arrives signed, then the intent is the order\'s payment, with payment.created once', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');

    const res = await deliverEvent(intent.id, 'payment_intent.succeeded').send();

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true });
    expect(await paymentsOf(t, order.id)).toEqual([expect.objectContaining({ chargeId: intent.id, amountCents: 2050, provider: 'stripe' })]);
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([{ id: expect.any(String), orderId: order.id, chargeId: intent.id }]);
    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ state: 'recorded', chargeId: intent.id, intentStatus: 'succeeded' });
  });

  it('when Stripe delivers the same event twice, or a second succeeded event, then there is no second effect', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');
    const first = deliverEvent(intent.id, 'payment_intent.succeeded');
    expect((await first.send()).status).toBe(200);
    const after = await paymentState(t);

    expect((await first.send()).status).toBe(200);
    expect((await deliverEvent(intent.id, 'payment_intent.succeeded').send()).status).toBe(200);

    expect(await paymentState(t)).toEqual(after);
    expect(await paymentsOf(t, order.id)).toHaveLength(1);
  });

  it.each<[string, { secret?: string; timestamp?: number }]>([
    ['signed with another secret', { secret: 'whsec_someone_else' }],
    ['signed more than 300 s ago (a replay)', { timestamp: Math.floor(Date.now() / 1000) - 301 }],
  ])('when the event is %s, then 400 "Invalid webhook signature" and nothing changes', async (_what, how) => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');
    const before = await paymentState(t);

    const res = await deliverEvent(intent.id, 'payment_intent.succeeded', how.secret ?? WEBHOOK_SECRET, how.timestamp).send();

    expectError(res, 400, 'Invalid webhook signature');
    expect(await paymentState(t)).toEqual(before);
    expect((await attemptsOf(t, order.id))[0]!.state).toBe('pending');
  });

  it('when the body was changed after signing, or the signature is missing, then 400 and nothing changes', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');
    const { payload, header } = signedWebhook(intentEvent(stripe.fake.intent(intent.id), 'payment_intent.succeeded'), WEBHOOK_SECRET);

    expectError(await deliver(payload.replace('"livemode":false', '"livemode":true'), header), 400, 'Invalid webhook signature');
    // The same event, other bytes: a signature covers the body as sent, not its meaning.
    expectError(await deliver(JSON.stringify(JSON.parse(payload), null, 2), header), 400, 'Invalid webhook signature');
    expectError(await t.http.post('/api/payments/webhook').set('Content-Type', 'application/json').send(payload), 400, 'Invalid webhook signature');
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it('when events arrive out of order (requires_action after succeeded), then the recorded payment stands', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');
    const early = deliverEvent(intent.id, 'payment_intent.requires_action');
    stripe.fake.completeAuthentication(intent.id, true);
    expect((await deliverEvent(intent.id, 'payment_intent.succeeded').send()).status).toBe(200);

    expect((await early.send()).status).toBe(200);

    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ state: 'recorded', intentStatus: 'succeeded' });
    expect(await paymentsOf(t, order.id)).toHaveLength(1);
  });

  it('when an intent succeeds after its order expired and was cancelled, then its money goes back through the Refunds API against the intent', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    await cancel(t, order);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');

    expect((await deliverEvent(intent.id, 'payment_intent.succeeded').send()).status).toBe(200);

    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect(stripe.refunds().map((r) => ({ form: r.form, key: r.headers['idempotency-key'] }))).toEqual([
      { form: { payment_intent: intent.id }, key: `refund-${intent.id}` },
    ]);
    expect(stripe.fake.intent(intent.id).refunded).toBe(true);
    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ state: 'refunded', chargeId: intent.id });
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([]);
  });

  it('when the event is about an intent this service never started, then 200 and nothing changes', async () => {
    const other = stripe.fake.intents().length;
    const before = await paymentState(t);
    const buyer = await aUser();
    const { intent } = await startedIntent(buyer);
    const foreign = { ...intentEvent(stripe.fake.intent(intent.id), 'payment_intent.succeeded') };
    foreign.data.object = { ...foreign.data.object, id: 'pi_elsewhere', metadata: {} };
    const { payload, header } = signedWebhook(foreign, WEBHOOK_SECRET);

    expect((await deliver(payload, header)).status).toBe(200);
    expect((await paymentState(t)).rows).toEqual(before.rows);
    expect(stripe.fake.intents()).toHaveLength(other + 1);
  });
});

describe('the intent reconciler (stripe)', () => {
  it('when an intent succeeded but its webhook never came, then a pass records the payment, once', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa');

    await reconcile();
    await reconcile();

    expect(await paymentsOf(t, order.id)).toEqual([expect.objectContaining({ chargeId: intent.id })]);
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toHaveLength(1);
  });

  it('when an intent is left open and its order is cancelled, then it is cancelled at Stripe and the attempt fails', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    stripe.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired'); // the buyer walks away from 3-D Secure
    await cancel(t, order);

    await reconcile();

    expect(stripe.requests.filter((r) => r.path === `/v1/payment_intents/${intent.id}/cancel`).map((r) => r.form)).toEqual([{ cancellation_reason: 'abandoned' }]);
    expect(stripe.fake.intent(intent.id).status).toBe('canceled');
    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ state: 'failed', intentStatus: 'canceled' });
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it('when the buyer\'s payment wins the race with the cancel, then its money goes back', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    await cancel(t, order);
    stripe.fake.confirmIntent(intent.id, 'pm_card_visa'); // succeeded just before the reconciler's cancel

    await reconcile();

    expect(stripe.fake.intent(intent.id).refunded).toBe(true);
    expect((await attemptsOf(t, order.id))[0]!.state).toBe('refunded');
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it('when an open intent of a live order is asked about, then it stays open and is asked again only after the wait', async () => {
    const buyer = await aUser();
    const { order, intent } = await startedIntent(buyer);
    const asked = () => stripe.requests.filter((r) => r.path === `/v1/payment_intents/${intent.id}`).length;

    await reconcileIntents(t.service, provider(), { reconcileAfterMs: 0, batchSize: 50, backoff: { baseMs: 10, maxMs: 10 } });
    expect(asked()).toBe(1);
    await reconcileIntents(t.service, provider(), { reconcileAfterMs: 60_000, batchSize: 50, backoff: { baseMs: 10, maxMs: 10 } });

    expect(asked()).toBe(1);
    expect((await attemptsOf(t, order.id))[0]!.state).toBe('pending');
    await eventually(async () => (await publishedStarts(t)).some((e) => e.orderId === order.id), { what: 'payment.started' });
  });
});
