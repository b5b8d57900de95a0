import { cardDeclined, chargeReply, eventually, gate, publishTestEvent, startStripeStandIn, type StripeRequest, type StripeStandIn } from '@ticketing/testkit';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createStripeProvider } from '../src/providers/stripe-provider.js';
import {
  anOrder,
  attemptsOf,
  expectError,
  pay,
  paymentsOf,
  paymentState,
  publishedPayments,
  replicaOf,
  replicate,
  type Payments,
  type User,
} from './helpers.js';
import { aUser, STRIPE_TEST_KEY, startPayments, startPaymentsOnStripe } from './setup.js';

/**
 * The stripe provider, through the real route, against a local HTTP server standing in for
 * the Stripe API (STRIPE_API_URL): what the SDK sends, and how each answer is mapped.
 */

/** The key the route must send: the order and the card token, so another card is another charge. */
const chargeKey = (orderId: string, token: string) =>
  `${orderId}-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;

let stripe: StripeStandIn;
let t: Payments;
beforeAll(async () => {
  ({ t, stripe } = await startPaymentsOnStripe());
});
afterAll(async () => {
  await t?.close();
  await stripe?.close();
});
beforeEach(() => {
  stripe.requests.length = 0;
  stripe.respondWith((req) => (req.path === '/v1/refunds' ? { status: 200, body: { id: 're_1', object: 'refund' } } : chargeReply(req)));
});

async function orderOf(service: Payments, buyer: User, price = 20.5) {
  return replicate(service, anOrder({ userId: buyer.id, ticket: { id: randomUUID(), price } }));
}

describe('stripe provider (through POST /api/payments, against a Stripe stand-in)', () => {
  it('when a payment succeeds, then the SDK POSTs /v1/charges with cents, usd, the token, an Idempotency-Key made of the order id and the token and the secret key', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer, 20.5);
    stripe.respondWith((req) => chargeReply(req, 'ch_standin_success'));

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(201);
    expect(stripe.requests).toHaveLength(1);
    const [sent] = stripe.requests as [StripeRequest];
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/v1/charges');
    expect(sent.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const [attempt] = await attemptsOf(t, order.id);
    expect(sent.form).toEqual({
      amount: '2050',
      currency: 'usd',
      source: 'tok_visa',
      description: `Ticketing order ${order.id}`,
      'metadata[attempt_id]': attempt!.id,
    });
    expect(sent.headers['idempotency-key']).toBe(chargeKey(order.id, 'tok_visa'));
    expect(sent.headers.authorization).toBe(`Bearer ${STRIPE_TEST_KEY}`);
    expect(await paymentsOf(t, order.id)).toEqual([
      expect.objectContaining({ id: res.body.id, chargeId: 'ch_standin_success', amountCents: 2050, provider: 'stripe' }),
    ]);
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([
      { id: res.body.id, orderId: order.id, chargeId: 'ch_standin_success' },
    ]);
  });

  it.each([
    [0.5, '50'],
    [12.34, '1234'],
    [4.35, '435'],
    [999_999.99, '99999999'],
  ])('when the order costs %s dollars, then amount=%s is sent (integer cents, no float error)', async (price, amount) => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer, price);

    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);

    expect(stripe.charges().map((r) => r.form.amount)).toEqual([amount]);
  });

  it('when the order is already paid, then Stripe is not called again', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);

    const again = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

    expectError(again, 400, 'Order has already been paid');
    expect(stripe.charges()).toHaveLength(1);
  });

  it('when the order is unknown, then Stripe is never called', async () => {
    const buyer = await aUser();

    expectError(await pay(t, buyer, { orderId: randomUUID(), token: 'tok_visa' }), 404, 'Order not found');
    expect(stripe.requests).toEqual([]);
  });

  it('when the order is cancelled, then Stripe is never called', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    await publishTestEvent(t.bus, 'order.cancelled', { id: order.id, version: 1, ticket: { id: order.ticket.id } });
    await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled', { what: 'the cancel to apply' });

    expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_visa' }), 400, 'Cannot pay for a cancelled order');
    expect(stripe.requests).toEqual([]);
  });

  it('when the order is expired, then Stripe is never called', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id, expiresAt: new Date(Date.now() - 1000).toISOString() }));

    expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_visa' }), 400, 'Order has expired');
    expect(stripe.requests).toEqual([]);
  });

  it('when Stripe answers 402 card_error, then 400 with its message on token, and no payment row or event', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    stripe.respondWith(() => cardDeclined);
    const before = await paymentState(t);

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclined' });

    expectError(res, 400, 'Your card was declined.', 'token');
    expect(stripe.charges()).toHaveLength(1);
    expect(await paymentState(t)).toEqual(before);
  });

  it('when Stripe answers 402 for another card problem, then its buyer-facing message is passed on', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    stripe.respondWith(() => ({
      status: 402,
      body: { error: { type: 'card_error', code: 'expired_card', message: 'Your card has expired.', param: 'exp_month' } },
    }));

    expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclinedExpiredCard' }), 400, 'Your card has expired.', 'token');
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it('when Stripe answers 400 "No such token" (param source), then 400 "Invalid payment token" on token, nothing recorded', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    stripe.respondWith(() => ({
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'source', message: "No such token: 'tok_nope'" } },
    }));
    const before = await paymentState(t);

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_nope' });

    expectError(res, 400, 'Invalid payment token', 'token');
    expect(await paymentState(t)).toEqual(before);
  });

  it('when Stripe answers 400 token_already_used, then 400 "Invalid payment token"', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    stripe.respondWith(() => ({
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'token_already_used', message: 'You cannot use a Stripe token more than once' } },
    }));

    expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_used' }), 400, 'Invalid payment token', 'token');
  });

  it.each([
    ['500 api_error', 500, { error: { type: 'api_error', message: 'Something went wrong on our end' } }],
    ['503 with a non-JSON body', 503, 'upstream unavailable'],
    ['401 (a bad secret key: our fault, not the buyer session)', 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_***' } }],
    ['403 permission error', 403, { error: { type: 'invalid_request_error', message: 'The provided key does not have access' } }],
    ['429 rate limit', 429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } }],
    ['400 amount too small (not about the token)', 400, { error: { type: 'invalid_request_error', code: 'amount_too_small', param: 'amount', message: 'Amount must be at least $0.50 usd' } }],
    ['400 idempotency error', 400, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters' } }],
    ['200 with a body that is not JSON', 200, '<html>oops</html>'],
  ])('when Stripe answers %s, then 502 "Payment provider unavailable", no payment row and no event', async (_, status, body) => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    stripe.respondWith(() => ({ status, body, headers: typeof body === 'string' ? { 'Content-Type': 'text/plain' } : undefined }));
    const before = await paymentState(t);

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

    expectError(res, 502, 'Payment provider unavailable');
    expect(res.text).not.toMatch(/sk_test|api_error|Something went wrong on our end|Invalid API Key/);
    expect(stripe.charges()).toHaveLength(1); // maxNetworkRetries 0
    expect(await paymentState(t)).toEqual(before);
  });

  it('when Stripe failed with 500 and the buyer tries again, then the retry sends the same Idempotency-Key and succeeds', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    stripe.respondWith(() => ({ status: 500, body: { error: { type: 'api_error', message: 'boom' } } }));
    expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(502);
    stripe.respondWith((req) => chargeReply(req, 'ch_after_retry'));

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(201);
    expect(stripe.charges().map((r) => r.headers['idempotency-key'])).toEqual([chargeKey(order.id, 'tok_visa'), chargeKey(order.id, 'tok_visa')]);
    expect((await paymentsOf(t, order.id))[0]!.chargeId).toBe('ch_after_retry');
  });

  it('when 10 payments for one order reach Stripe at once, then each sends the same key and exactly one is recorded', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    const allArrived = gate();
    // Stripe's idempotency: every request with the key gets the one charge.
    stripe.respondWith(async (req) => {
      if (stripe.charges().length === 10) allArrived.open();
      await allArrived.opened;
      return chargeReply(req, 'ch_one_for_all');
    });

    const results = await Promise.all(Array.from({ length: 10 }, () => pay(t, buyer, { orderId: order.id, token: 'tok_visa' })));

    expect(stripe.charges().map((r) => r.headers['idempotency-key'])).toEqual(Array(10).fill(chargeKey(order.id, 'tok_visa')));
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) expectError(r, 400, 'Order has already been paid');
    expect(await paymentsOf(t, order.id)).toEqual([expect.objectContaining({ chargeId: 'ch_one_for_all' })]);
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toHaveLength(1);
  });

  it('when two cards pay one order at once, then one payment is recorded and the other card is refunded', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    const bothArrived = gate();
    stripe.respondWith(async (req) => {
      if (req.path === '/v1/refunds') return { status: 200, body: { id: 're_loser', object: 'refund', charge: req.form.charge } };
      if (stripe.charges().length === 2) bothArrived.open();
      await bothArrived.opened;
      return chargeReply(req, `ch_${req.form.source}`);
    });

    const results = await Promise.all(
      ['tok_visa', 'tok_mastercard'].map((token) => pay(t, buyer, { orderId: order.id, token })),
    );

    expect(new Set(stripe.charges().map((r) => r.headers['idempotency-key'])).size).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
    const [recorded] = await paymentsOf(t, order.id);
    const loser = recorded!.chargeId === 'ch_tok_visa' ? 'ch_tok_mastercard' : 'ch_tok_visa';
    const refunds = stripe.requests.filter((r) => r.path === '/v1/refunds');
    expect(refunds.map((r) => r.form)).toEqual([{ charge: loser }]);
  });

  it('when the order is cancelled while its charge is in flight, then the charge is refunded, 400 cancelled, nothing recorded', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    const cancelled = gate();
    stripe.respondWith(async (req) => {
      if (req.path === '/v1/refunds') return { status: 200, body: { id: 're_meanwhile', object: 'refund', charge: req.form.charge } };
      await cancelled.opened;
      return chargeReply(req, 'ch_to_refund');
    });
    const before = await paymentState(t);

    const paying = pay(t, buyer, { orderId: order.id, token: 'tok_visa' }).then((r) => r); // supertest starts on then()
    await eventually(() => stripe.charges().length === 1, { what: 'the charge to reach Stripe' });
    await publishTestEvent(t.bus, 'order.cancelled', { id: order.id, version: 1, ticket: { id: order.ticket.id } });
    await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled', { what: 'the cancel to apply' });
    cancelled.open();
    const res = await paying;

    expectError(res, 400, 'Cannot pay for a cancelled order');
    const refunds = stripe.requests.filter((r) => r.path === '/v1/refunds');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.method).toBe('POST');
    expect(refunds[0]!.form).toEqual({ charge: 'ch_to_refund' });
    expect(refunds[0]!.headers['idempotency-key']).toBe('refund-ch_to_refund');
    expect(await paymentState(t)).toEqual(before);
  });

  it('when the refund after such a cancel fails too, then the buyer still gets 400 cancelled and nothing is recorded', async () => {
    const buyer = await aUser();
    const order = await orderOf(t, buyer);
    const cancelled = gate();
    stripe.respondWith(async (req) => {
      if (req.path === '/v1/refunds') return { status: 500, body: { error: { type: 'api_error', message: 'down' } } };
      await cancelled.opened;
      return chargeReply(req);
    });

    const paying = pay(t, buyer, { orderId: order.id, token: 'tok_visa' }).then((r) => r); // supertest starts on then()
    await eventually(() => stripe.charges().length === 1, { what: 'the charge to reach Stripe' });
    await publishTestEvent(t.bus, 'order.cancelled', { id: order.id, version: 1, ticket: { id: order.ticket.id } });
    await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled', { what: 'the cancel to apply' });
    cancelled.open();

    expectError(await paying, 400, 'Cannot pay for a cancelled order');
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });
});

describe('stripe provider, other set-ups', () => {
  it('when Stripe cannot be reached (connection refused), then 502 and no payment row', async () => {
    const port = await closedPort();
    const s = await startPayments({
      env: { STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_URL: `http://127.0.0.1:${port}`, STRIPE_MAX_NETWORK_RETRIES: '0' },
    });
    try {
      await s.listen(listeners);
      const buyer = await aUser();
      const order = await orderOf(s, buyer);

      const res = await pay(s, buyer, { orderId: order.id, token: 'tok_visa' });

      expectError(res, 502, 'Payment provider unavailable');
      expect(await paymentsOf(s, order.id)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('when retries are allowed and Stripe fails once with 500, then the SDK retries with the same Idempotency-Key and the payment succeeds', async () => {
    const standIn = await startStripeStandIn();
    const s = await startPayments({
      env: { STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_URL: standIn.url, STRIPE_MAX_NETWORK_RETRIES: '1' },
    });
    try {
      await s.listen(listeners);
      const buyer = await aUser();
      const order = await orderOf(s, buyer);
      standIn.respondWith((req) =>
        standIn.charges().length === 1 ? { status: 500, body: { error: { type: 'api_error', message: 'once' } } } : chargeReply(req, 'ch_second_try'),
      );

      const res = await pay(s, buyer, { orderId: order.id, token: 'tok_visa' });

      expect(res.status).toBe(201);
      expect(standIn.charges().map((r) => r.headers['idempotency-key'])).toEqual([chargeKey(order.id, 'tok_visa'), chargeKey(order.id, 'tok_visa')]);
      expect((await paymentsOf(s, order.id))[0]!.chargeId).toBe('ch_second_try');
    } finally {
      await s.close();
      await standIn.close();
    }
  });
});

describe('stripe provider against the fake Stripe (charges, search, refunds)', () => {
  const charge = (provider: ReturnType<typeof createStripeProvider>, token: string, attemptId = randomUUID(), idempotencyKey = randomUUID()) =>
    provider.charge({ amountCents: 1500, currency: 'usd', token, idempotencyKey, attemptId, description: 'Ticketing order x' });

  it("when an attempt's charge is looked up, then the successful charge is found by its attempt id, a declined one is not, and a pending one asks to wait", async () => {
    const standIn = await startStripeStandIn();
    try {
      const provider = createStripeProvider({ secretKey: STRIPE_TEST_KEY, apiUrl: standIn.url, maxNetworkRetries: 0 });
      const paid = randomUUID();
      const declined = randomUUID();
      const first = await charge(provider, 'tok_visa', paid, `key-${paid}`);
      const again = await charge(provider, 'tok_visa', paid, `key-${paid}`);
      expect((await charge(provider, 'tok_chargeDeclined', declined)).ok).toBe(false);

      expect(again).toEqual(first);
      expect(await provider.findCharge(paid)).toEqual({ chargeId: first.ok && first.chargeId, refunded: false });
      expect(await provider.findCharge(declined)).toBeUndefined();
      expect(await provider.findCharge(randomUUID())).toBeUndefined();
      standIn.respondWith(() => ({
        status: 200,
        body: { object: 'search_result', has_more: false, data: [{ id: 'ch_pending', object: 'charge', status: 'pending', refunded: false }] },
      }));
      await expect(provider.findCharge(paid)).rejects.toThrow(/still pending/);
    } finally {
      await standIn.close();
    }
  });

  it('when a charge is refunded twice under different keys, then the second (charge_already_refunded) counts as done', async () => {
    const standIn = await startStripeStandIn();
    try {
      const provider = createStripeProvider({ secretKey: STRIPE_TEST_KEY, apiUrl: standIn.url, maxNetworkRetries: 0 });
      const made = await charge(provider, 'tok_visa');
      const chargeId = made.ok ? made.chargeId : expect.fail('charge refused');

      await provider.refund({ chargeId, idempotencyKey: 'first' });
      await provider.refund({ chargeId, idempotencyKey: 'second' });

      expect(standIn.refunds()).toHaveLength(2);
      expect(standIn.fake.charges().find((c) => c.id === chargeId)!.refunded).toBe(true);
      expect(await provider.findCharge(standIn.fake.charges()[0]!.metadata.attempt_id!)).toEqual({ chargeId, refunded: true });
      await expect(provider.refund({ chargeId: 'ch_unknown', idempotencyKey: 'third' })).rejects.toThrow(/No such charge/);
    } finally {
      await standIn.close();
    }
  });
});

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
