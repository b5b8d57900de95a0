import { eventually, gate, startStripeStandIn, type StripeStandIn } from '@ticketing/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createStripeProvider } from '../src/providers/stripe-provider.js';
import { refundDueCharges } from '../src/refunds.js';
import { resolveStaleAttempts, type ResolveOptions } from '../src/resolve-attempts.js';
import { anOrder, attemptsOf, cancel, expectErrors, pay, paymentsOf, publishedPayments, replicate, type Payments } from './helpers.js';
import { aUser, startPayments } from './setup.js';

/**
 * Payment attempts through the real route and the Stripe provider, against the stateful fake
 * Stripe: what is on record when the charge is made but not recorded, and how the resolver
 * settles it with the provider's word.
 */
let stripe: StripeStandIn;
let t: Payments;
const provider = () => createStripeProvider({ secretKey: 'sk_test_standin', apiUrl: stripe.url, maxNetworkRetries: 0 });
/** Every pending attempt counts as stale: the tests decide when the resolver runs. */
const now: ResolveOptions = { resolveAfterMs: 0, batchSize: 50, backoff: { baseMs: 50, maxMs: 400 } };

beforeAll(async () => {
  stripe = await startStripeStandIn();
  t = await startPayments({ env: { STRIPE_SECRET_KEY: 'sk_test_standin', STRIPE_API_URL: stripe.url, STRIPE_MAX_NETWORK_RETRIES: '0' } });
  await t.listen(listeners);
});
afterAll(async () => {
  await t?.close();
  await stripe?.close();
});
beforeEach(() => stripe.respondWith(stripe.fake.respond));

async function buyerWithOrder() {
  const buyer = await aUser();
  const order = await replicate(t, anOrder({ userId: buyer.id }));
  return { buyer, order };
}

/** Makes every insert of a payment row fail, as a database error after the charge would. */
async function breakPaymentRecords() {
  await t.service.database.pool.query(`
    create or replace function refuse_payment() returns trigger language plpgsql as $$
      begin raise exception 'the database refuses the payment'; end $$;
    create trigger refuse_payment before insert on payments for each row execute function refuse_payment();`);
  return () => t.service.database.pool.query('drop trigger refuse_payment on payments');
}

const chargeOf = (orderId: string) => stripe.fake.charges().find((c) => c.description === `Ticketing order ${orderId}`);

describe('payment attempts', () => {
  it('when a payment succeeds, then its attempt is on record as recorded, with the charge and the payment', async () => {
    const { buyer, order } = await buyerWithOrder();

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(201);
    const [payment] = await paymentsOf(t, order.id);
    const [attempt] = await attemptsOf(t, order.id);
    expect(attempt).toMatchObject({ state: 'recorded', chargeId: payment!.chargeId, buyerId: buyer.id, amountCents: 2000, provider: 'stripe' });
    expect(chargeOf(order.id)!.metadata).toEqual({ attempt_id: attempt!.id });
  });

  it('when the card is declined, then the attempt is failed, and the same card tried again is the same attempt', async () => {
    const { buyer, order } = await buyerWithOrder();

    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclined' })).status).toBe(400);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'failed', chargeId: null })]);
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclined' })).status).toBe(400);
    expect(await attemptsOf(t, order.id)).toHaveLength(1);
    expect(await resolveStaleAttempts(t.service, provider(), now)).toBe(0); // failed is settled: nothing to ask
  });

  it('when the record transaction fails after the charge, then 500, the attempt stays pending, and the resolver records the charge as the payment with payment.created', async () => {
    const { buyer, order } = await buyerWithOrder();
    const repair = await breakPaymentRecords();
    let res;
    try {
      res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });
    } finally {
      await repair();
    }
    expectErrors(res, 500, [undefined]);
    const charge = chargeOf(order.id)!;
    expect(charge.refunded).toBe(false);
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'pending', chargeId: null })]);

    expect(await resolveStaleAttempts(t.service, provider(), now)).toBe(1);

    const [payment] = await paymentsOf(t, order.id);
    expect(payment).toMatchObject({ chargeId: charge.id, amountCents: 2000, provider: 'stripe' });
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([{ id: payment!.id, orderId: order.id, chargeId: charge.id }]);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'recorded', chargeId: charge.id })]);
    expect(stripe.requests.filter((r) => r.path.startsWith('/v1/charges/search')).at(-1)!.form).toEqual({
      query: `metadata['attempt_id']:'${(await attemptsOf(t, order.id))[0]!.id}'`,
    });
    expect(charge.refunded).toBe(false);
  });

  it('when the order was cancelled while its attempt was pending, then the resolver refunds the charge and records nothing', async () => {
    const { buyer, order } = await buyerWithOrder();
    const repair = await breakPaymentRecords();
    try {
      expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(500);
    } finally {
      await repair();
    }
    await cancel(t, order);

    expect(await resolveStaleAttempts(t.service, provider(), now)).toBe(1);

    expect(chargeOf(order.id)!.refunded).toBe(true);
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'refunded', chargeId: chargeOf(order.id)!.id })]);
  });

  it('when the provider failed and made no charge, then the resolver marks the attempt failed and records nothing', async () => {
    const { buyer, order } = await buyerWithOrder();
    stripe.respondWith((req) =>
      req.path === '/v1/charges' ? { status: 500, body: { error: { type: 'api_error', message: 'down' } } } : stripe.fake.respond(req),
    );
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(502);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'pending' })]);

    expect(await resolveStaleAttempts(t.service, provider(), now)).toBe(1);

    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'failed', chargeId: null })]);
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect(chargeOf(order.id)).toBeUndefined();
  });

  it('when a pending attempt is younger than the bound, then the resolver leaves it to its request', async () => {
    const { buyer, order } = await buyerWithOrder();
    stripe.respondWith((req) =>
      req.path === '/v1/charges' ? { status: 500, body: { error: { type: 'api_error', message: 'down' } } } : stripe.fake.respond(req),
    );
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(502);
    const searches = stripe.requests.filter((r) => r.path.startsWith('/v1/charges/search')).length;

    await resolveStaleAttempts(t.service, provider(), { ...now, resolveAfterMs: 60_000 });

    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'pending' })]);
    expect(stripe.requests.filter((r) => r.path.startsWith('/v1/charges/search'))).toHaveLength(searches);
    await resolveStaleAttempts(t.service, provider(), now); // settled, for the tests after
  });

  it('when a losing second charge cannot be refunded on the spot, then its attempt is kept refund due and the refund sweeper gives it back', async () => {
    const { buyer, order } = await buyerWithOrder();
    const bothCharged = gate();
    stripe.respondWith(async (req) => {
      if (req.path === '/v1/refunds') return { status: 500, body: { error: { type: 'api_error', message: 'refunds down' } } };
      const reply = stripe.fake.respond(req);
      if (stripe.fake.charges().filter((c) => c.description === `Ticketing order ${order.id}`).length === 2) bothCharged.open();
      await bothCharged.opened;
      return reply;
    });

    const results = await Promise.all(['tok_visa', 'tok_mastercard'].map((token) => pay(t, buyer, { orderId: order.id, token })));

    expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
    const [payment] = await paymentsOf(t, order.id);
    const loser = (await attemptsOf(t, order.id)).find((a) => a.chargeId !== payment!.chargeId)!;
    expect(loser).toMatchObject({ state: 'refund_due', chargeId: expect.stringMatching(/^ch_/) });

    stripe.respondWith(stripe.fake.respond);
    // After the failed refund's wait (a second at first).
    await eventually(async () => (await refundDueCharges(t.service, provider())) === 1, { what: 'the sweeper to refund it' });

    expect(stripe.fake.charges().find((c) => c.id === loser.chargeId)!.refunded).toBe(true);
    expect(stripe.fake.charges().find((c) => c.id === payment!.chargeId)!.refunded).toBe(false);
    expect((await attemptsOf(t, order.id)).find((a) => a.id === loser.id)!.state).toBe('refunded');
  });
});
