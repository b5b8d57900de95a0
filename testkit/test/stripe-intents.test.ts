import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStripeStandIn, type StripeStandIn } from '../src/stripe-stand-in.js';
import { intentEvent, signedWebhook } from '../src/stripe-webhooks.js';

/**
 * The Stripe stand-in's PaymentIntents, through the real Stripe SDK (as the payments service
 * calls them): what the fake checks, how an intent moves when the buyer confirms it, refunds,
 * idempotent replays, and webhook events the SDK itself accepts.
 */
let standIn: StripeStandIn;
let stripe: Stripe;
beforeAll(async () => {
  standIn = await startStripeStandIn();
  const { hostname, port } = new URL(standIn.url);
  stripe = new Stripe('sk_test_standin', { maxNetworkRetries: 0, host: hostname, port: Number(port), protocol: 'http' });
});
afterAll(() => standIn?.close());
beforeEach(() => {
  standIn.requests.length = 0;
});

const anIntent = (params: Partial<Stripe.PaymentIntentCreateParams> = {}, key?: string) =>
  stripe.paymentIntents.create(
    { amount: 2050, currency: 'usd', description: 'Ticketing order o-1', metadata: { attempt_id: crypto.randomUUID() }, automatic_payment_methods: { enabled: true }, ...params },
    key ? { idempotencyKey: key } : undefined,
  );

/** The SDK's error for a call, or a failure if the call succeeded. */
async function errorOf(call: Promise<unknown>): Promise<InstanceType<typeof Stripe.errors.StripeError>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError) return err;
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('creating a payment intent', () => {
  it('when the SDK creates one, then it is requires_payment_method with a client secret of its id, the amount, currency, description and metadata', async () => {
    const intent = await anIntent({ metadata: { order_id: 'o-1', attempt_id: 'a-1' } });

    expect(intent).toMatchObject({
      object: 'payment_intent',
      status: 'requires_payment_method',
      amount: 2050,
      amount_received: 0,
      currency: 'usd',
      description: 'Ticketing order o-1',
      metadata: { order_id: 'o-1', attempt_id: 'a-1' },
      automatic_payment_methods: { enabled: true },
      latest_charge: null,
      last_payment_error: null,
      next_action: null,
      livemode: false,
    });
    expect(intent.id).toMatch(/^pi_fake_\w+$/);
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_\\w+$`));
    expect(standIn.intents().map((r) => r.form)).toEqual([expect.objectContaining({ amount: '2050', currency: 'usd', 'automatic_payment_methods[enabled]': 'true' })]);
    expect(standIn.fake.intent(intent.id)).toMatchObject({ id: intent.id, status: 'requires_payment_method' });
  });

  it.each([
    [49, 'amount_too_small', 'Amount must be at least $0.50 usd'],
    [1, 'amount_too_small', 'Amount must be at least $0.50 usd'],
    [0, 'parameter_invalid_integer', 'This value must be greater than or equal to 1.'],
    [-100, 'parameter_invalid_integer', 'This value must be greater than or equal to 1.'],
    [20.5, 'parameter_invalid_integer', 'Invalid integer: 20.5'],
    [100_000_000, 'amount_too_large', 'Amount must be no more than $999,999.99'],
  ])('when the amount is %s cents, then Stripe answers 400 %s on amount and holds no intent', async (amount, code, message) => {
    const before = standIn.fake.intents().length;

    const err = await errorOf(anIntent({ amount }));

    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect([err.statusCode, err.code, err.param, err.message]).toEqual([400, code, 'amount', message]);
    expect(standIn.fake.intents()).toHaveLength(before);
  });

  it('when the amount is exactly 50 cents, then the intent is made', async () => {
    expect((await anIntent({ amount: 50 })).amount).toBe(50);
  });

  it('when the amount or the currency is missing, then Stripe answers 400 parameter_missing naming it', async () => {
    const noAmount = await errorOf(stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams));
    const noCurrency = await errorOf(stripe.paymentIntents.create({ amount: 2050 } as Stripe.PaymentIntentCreateParams));

    expect([noAmount.statusCode, noAmount.code, noAmount.param]).toEqual([400, 'parameter_missing', 'amount']);
    expect([noCurrency.statusCode, noCurrency.code, noCurrency.param]).toEqual([400, 'parameter_missing', 'currency']);
  });

  it('when the same Idempotency-Key comes again, then the first answer comes back (replayed) and no second intent is made', async () => {
    const key = `intent-${crypto.randomUUID()}`;
    const first = await anIntent({}, key);
    const before = standIn.fake.intents().length;

    const again = await anIntent({}, key);

    expect(again.id).toBe(first.id);
    expect(again.client_secret).toBe(first.client_secret);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(standIn.fake.intents()).toHaveLength(before);
    expect(standIn.fake.intent(first.id).idempotencyKey).toBe(key);
  });

  it('when a refused request is sent again under its key, then the same refusal comes back', async () => {
    const key = `intent-${crypto.randomUUID()}`;
    await errorOf(anIntent({ amount: 10 }, key));

    const again = await errorOf(anIntent({ amount: 10 }, key));

    expect([again.statusCode, again.code]).toEqual([400, 'amount_too_small']);
  });
});

describe('retrieving and searching', () => {
  it('when an intent is retrieved, then it is as it is now; an unknown id answers 404 resource_missing', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_visa');

    const now = await stripe.paymentIntents.retrieve(intent.id);
    const unknown = await errorOf(stripe.paymentIntents.retrieve('pi_fake_unknown'));

    expect(now).toMatchObject({ id: intent.id, status: 'succeeded', amount_received: 2050, payment_method: 'pm_card_visa' });
    expect([unknown.statusCode, unknown.code]).toEqual([404, 'resource_missing']);
  });

  it("when intents are searched by metadata['attempt_id'], then only that attempt's intents are found", async () => {
    const attemptId = crypto.randomUUID();
    const mine = await anIntent({ metadata: { attempt_id: attemptId } });
    await anIntent();

    const found = await stripe.paymentIntents.search({ query: `metadata['attempt_id']:'${attemptId}'` });

    expect(found.data.map((i) => i.id)).toEqual([mine.id]);
    expect(standIn.requests.at(-1)!.path).toMatch(/^\/v1\/payment_intents\/search\?/);
  });
});

describe('the buyer confirming (test controls)', () => {
  it.each(['pm_card_visa', 'pm_card_mastercard'] as const)('when confirmed with %s, then it succeeds with a latest charge', async (method) => {
    const intent = await anIntent();

    standIn.fake.confirmIntent(intent.id, method);

    const now = await stripe.paymentIntents.retrieve(intent.id);
    expect(now.status).toBe('succeeded');
    expect(now.latest_charge).toMatch(/^ch_fake_\w+$/);
    expect(now.last_payment_error).toBeNull();
  });

  it('when confirmed with pm_card_chargeDeclined, then it needs another payment method, with the decline as last_payment_error; another card then succeeds', async () => {
    const intent = await anIntent();

    standIn.fake.confirmIntent(intent.id, 'pm_card_chargeDeclined');
    const declined = await stripe.paymentIntents.retrieve(intent.id);
    standIn.fake.confirmIntent(intent.id, 'pm_card_visa');
    const paid = await stripe.paymentIntents.retrieve(intent.id);

    expect(declined.status).toBe('requires_payment_method');
    expect(declined.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', message: 'Your card was declined.' });
    expect(declined.payment_method).toBeNull();
    expect(paid.status).toBe('succeeded');
    expect(paid.last_payment_error).toBeNull();
  });

  it('when confirmed with pm_card_authenticationRequired, then it requires action; passing 3-D Secure makes it succeed', async () => {
    const intent = await anIntent();

    standIn.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');
    const waiting = await stripe.paymentIntents.retrieve(intent.id);
    standIn.fake.completeAuthentication(intent.id, true);

    expect(waiting.status).toBe('requires_action');
    expect(waiting.next_action).toMatchObject({ type: 'use_stripe_sdk' });
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ status: 'succeeded', next_action: null });
  });

  it('when 3-D Secure fails, then it needs another payment method, with payment_intent_authentication_failure', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');

    standIn.fake.completeAuthentication(intent.id, false);

    const now = await stripe.paymentIntents.retrieve(intent.id);
    expect(now.status).toBe('requires_payment_method');
    expect(now.last_payment_error).toMatchObject({ code: 'payment_intent_authentication_failure' });
    expect(now.latest_charge).toBeNull();
  });

  it('when a succeeded or canceled intent is confirmed, or one not waiting for 3-D Secure is authenticated, then the control throws', async () => {
    const paid = await anIntent();
    standIn.fake.confirmIntent(paid.id, 'pm_card_visa');
    const open = await anIntent();

    expect(() => standIn.fake.confirmIntent(paid.id, 'pm_card_visa')).toThrow(/status of succeeded/);
    expect(() => standIn.fake.completeAuthentication(open.id, true)).toThrow(/not requires_action/);
    expect(() => standIn.fake.confirmIntent('pi_fake_unknown', 'pm_card_visa')).toThrow(/no payment intent/);
  });
});

describe('canceling', () => {
  it('when an open intent is canceled, then it is canceled with the reason given', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');

    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned' });

    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', next_action: null });
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    expect(() => standIn.fake.confirmIntent(intent.id, 'pm_card_visa')).toThrow(/status of canceled/);
  });

  it.each(['succeeded', 'canceled'] as const)('when a %s intent is canceled, then Stripe answers 400 payment_intent_unexpected_state with the intent', async (status) => {
    const intent = await anIntent();
    if (status === 'succeeded') standIn.fake.confirmIntent(intent.id, 'pm_card_visa');
    else await stripe.paymentIntents.cancel(intent.id);

    const err = await errorOf(stripe.paymentIntents.cancel(intent.id));

    expect([err.statusCode, err.code]).toEqual([400, 'payment_intent_unexpected_state']);
    expect(err.message).toContain(`a status of ${status}`);
    expect(err.payment_intent).toMatchObject({ id: intent.id, status });
  });

  it('when the reason is not one of Stripe’s, then 400 on cancellation_reason and the intent stays open', async () => {
    const intent = await anIntent();

    const err = await errorOf(stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'bored' as 'abandoned' }));

    expect([err.statusCode, err.param]).toEqual([400, 'cancellation_reason']);
    expect(standIn.fake.intent(intent.id).status).toBe('requires_payment_method');
  });
});

describe('refunding an intent', () => {
  it('when a succeeded intent is refunded by payment_intent, then its money goes back once; a second refund answers charge_already_refunded', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_visa');

    const refund = await stripe.refunds.create({ payment_intent: intent.id });
    const second = await errorOf(stripe.refunds.create({ payment_intent: intent.id }));

    const charge = standIn.fake.intent(intent.id).latestCharge;
    expect(refund).toMatchObject({ object: 'refund', payment_intent: intent.id, charge, amount: 2050, status: 'succeeded' });
    expect(standIn.fake.intent(intent.id).refunded).toBe(true);
    expect([second.statusCode, second.code]).toEqual([400, 'charge_already_refunded']);
    expect(standIn.refunds().map((r) => r.form)).toEqual([{ payment_intent: intent.id }, { payment_intent: intent.id }]);
  });

  it("when a refund names the intent's charge, then the intent's money goes back", async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_mastercard');

    await stripe.refunds.create({ charge: standIn.fake.intent(intent.id).latestCharge! });

    expect(standIn.fake.intent(intent.id).refunded).toBe(true);
  });

  it('when the intent has not succeeded, or is unknown, then the refund is refused and nothing is refunded', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_chargeDeclined');

    const unpaid = await errorOf(stripe.refunds.create({ payment_intent: intent.id }));
    const unknown = await errorOf(stripe.refunds.create({ payment_intent: 'pi_fake_unknown' }));

    expect([unpaid.statusCode, unpaid.param]).toEqual([400, 'payment_intent']);
    expect([unknown.statusCode, unknown.code]).toEqual([404, 'resource_missing']);
    expect(standIn.fake.intent(intent.id).refunded).toBe(false);
  });

  it('when an intent is refunded by hand, then a refund through the API answers charge_already_refunded; an unpaid one cannot be', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_visa');
    const unpaid = await anIntent();

    standIn.fake.refundByHand(intent.id);

    const err = await errorOf(stripe.refunds.create({ payment_intent: intent.id }));
    expect(err.code).toBe('charge_already_refunded');
    expect(() => standIn.fake.refundByHand(unpaid.id)).toThrow(/no money to give back/);
  });
});

describe('webhook events', () => {
  const secret = 'whsec_standin_test';

  it('when an event is built and signed, then the SDK verifies it and reads the intent as the API returns it', async () => {
    const intent = await anIntent({ metadata: { order_id: 'o-9', attempt_id: 'a-9' } });
    standIn.fake.confirmIntent(intent.id, 'pm_card_visa');

    const { payload, header } = signedWebhook(intentEvent(standIn.fake.intent(intent.id), 'payment_intent.succeeded'), secret);
    const event = stripe.webhooks.constructEvent(payload, header, secret);

    expect(event).toMatchObject({ object: 'event', type: 'payment_intent.succeeded', livemode: false, api_version: Stripe.API_VERSION });
    expect(event.id).toMatch(/^evt_fake_\w+$/);
    expect(event.data.object).toEqual(await stripe.paymentIntents.retrieve(intent.id).then(({ lastResponse: _, ...rest }) => rest));
  });

  it('when an event is built, then it is a snapshot: later changes to the intent do not show in it', async () => {
    const intent = await anIntent();
    standIn.fake.confirmIntent(intent.id, 'pm_card_authenticationRequired');
    const event = intentEvent(standIn.fake.intent(intent.id), 'payment_intent.requires_action');

    standIn.fake.completeAuthentication(intent.id, true);

    expect(event.data.object.status).toBe('requires_action');
  });

  it('when signed with another secret, or too long ago, then the SDK refuses it', async () => {
    const event = intentEvent(standIn.fake.intent((await anIntent()).id), 'payment_intent.created');
    const wrong = signedWebhook(event, 'whsec_other');
    const old = signedWebhook(event, secret, { timestamp: Math.floor(Date.now() / 1000) - 600 });

    expect(() => stripe.webhooks.constructEvent(wrong.payload, wrong.header, secret)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => stripe.webhooks.constructEvent(old.payload, old.header, secret, 300)).toThrow(/Timestamp outside the tolerance zone/);
    expect(old.header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });
});
