import { advisoryLocks } from '@ticketing/common';
import { eventually, gate, startStripeStandIn } from '@ticketing/testkit';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerRetries } from '../src/db/schema.js';
import { listeners } from '../src/events/listeners.js';
import type { PaymentProvider } from '../src/providers/payment-provider.js';
import { createSandboxProvider } from '../src/providers/sandbox-provider.js';
import { createStripeProvider } from '../src/providers/stripe-provider.js';
import { recordPayment } from '../src/changes.js';
import { defaultRefundOptions, refundDueCharges, refundSweep, type RefundOptions } from '../src/refunds.js';
import { anOrder, cancel, complete, pay, paymentsOf, replicate, type Payments } from './helpers.js';
import { aUser, startPayments } from './setup.js';

let t: Payments;
beforeAll(async () => {
  t = await startPayments();
  await t.listen(listeners);
});
afterAll(() => t.close());

/** Waits after a failure short enough for a test: 50 ms, doubling up to 400 ms. */
const quick: RefundOptions = { batchSize: 50, backoff: { baseMs: 50, maxMs: 400 } };

/** The sandbox, recording each refund; `failing` makes refunds throw, as a provider outage would. */
function recordingProvider() {
  const refunds: { chargeId: string; idempotencyKey: string }[] = [];
  const state = { failing: false, calls: 0 };
  const provider: PaymentProvider = {
    ...createSandboxProvider({ db: t.service.database.db }),
    async refund(request) {
      state.calls++;
      if (state.failing) throw new Error('provider down');
      refunds.push(request);
    },
  };
  return { provider, refunds, state };
}

/** An order of a new buyer, paid through the route (201). */
async function paidOrder(s: Payments = t) {
  const buyer = await aUser();
  const order = await replicate(s, anOrder({ userId: buyer.id }));
  expect((await pay(s, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);
  const [payment] = await paymentsOf(s, order.id);
  return { order, payment: payment! };
}

/** An order paid and then cancelled anyway: its payment is due a refund. */
async function cancelledPaidOrder(s: Payments = t) {
  const paid = await paidOrder(s);
  await cancel(s, paid.order);
  return paid;
}

async function retryOf(s: Payments, chargeId: string) {
  const [row] = await s.service.database.db
    .select({ failures: providerRetries.failures, waitMs: sql<number>`extract(epoch from ${providerRetries.retryAt} - now()) * 1000` })
    .from(providerRetries)
    .where(eq(providerRetries.subject, chargeId));
  return row && { failures: row.failures, waitMs: Number(row.waitMs) };
}

describe('refunds of payments whose order was cancelled anyway', () => {
  it('when order.cancelled arrives after the payment was recorded (it raced the expiry), then the charge is refunded once and the payment marked refunded', async () => {
    const { provider, refunds } = recordingProvider();
    const { payment } = await cancelledPaidOrder();

    expect(await refundDueCharges(t.service, provider)).toBe(1);
    expect(refunds).toEqual([{ chargeId: payment.chargeId, idempotencyKey: `refund-${payment.chargeId}` }]);
    const [after] = await paymentsOf(t, payment.orderId);
    expect(after!.refundedAt).toBeInstanceOf(Date);
    expect(await refundDueCharges(t.service, provider)).toBe(0);
    expect(refunds).toHaveLength(1);
  });

  it('when the order is complete, then its payment is kept', async () => {
    const { provider, refunds } = recordingProvider();
    const { order, payment } = await paidOrder();

    await complete(t, order);

    await refundDueCharges(t.service, provider);
    expect(refunds.filter((r) => r.chargeId === payment.chargeId)).toEqual([]);
    const [after] = await paymentsOf(t, order.id);
    expect(after!.refundedAt).toBeNull();
  });

  it('when the provider cannot refund, then the payment stays unrefunded, waits, and a later pass refunds it', async () => {
    const { provider, refunds, state } = recordingProvider();
    const { payment } = await cancelledPaidOrder();

    state.failing = true;
    expect(await refundDueCharges(t.service, provider, quick)).toBe(0);
    expect((await paymentsOf(t, payment.orderId))[0]!.refundedAt).toBeNull();
    expect((await retryOf(t, payment.chargeId))?.failures).toBe(1);

    state.failing = false;
    await eventually(async () => (await refundDueCharges(t.service, provider, quick)) === 1, { what: 'the retried refund' });
    expect(refunds.filter((r) => r.chargeId === payment.chargeId)).toHaveLength(1);
    expect((await paymentsOf(t, payment.orderId))[0]!.refundedAt).toBeInstanceOf(Date);
    expect(await retryOf(t, payment.chargeId)).toBeUndefined();
  });

  it('when the sweeper runs on its timer, then a payment of an order cancelled later is refunded without being asked', async () => {
    const { provider, refunds } = recordingProvider();
    const sweeper = refundSweep(t.service, provider, 100);
    await sweeper.start();
    try {
      const { payment } = await cancelledPaidOrder();
      await eventually(async () => (await paymentsOf(t, payment.orderId))[0]!.refundedAt !== null, { what: 'the refund' });
      expect(refunds.filter((r) => r.chargeId === payment.chargeId)).toHaveLength(1);
    } finally {
      await sweeper.stop();
    }
  });

  it('when Stripe answers charge_already_refunded (it was refunded by hand), then that counts as refunded', async () => {
    const stripe = await startStripeStandIn();
    try {
      const provider = createStripeProvider({ secretKey: 'sk_test_standin', apiUrl: stripe.url, maxNetworkRetries: 0 });
      const buyer = await aUser();
      const order = await replicate(t, anOrder({ userId: buyer.id }));
      const charged = await provider.charge({ amountCents: 2000, currency: 'usd', token: 'tok_visa', idempotencyKey: order.id, attemptId: order.id, description: 'x' });
      const chargeId = charged.ok ? charged.chargeId : expect.fail('charge refused');
      await t.service.transaction((tx) => recordPayment(tx, { orderId: order.id, chargeId, amountCents: 2000, provider: 'stripe' }));
      await cancel(t, order);
      stripe.fake.refundByHand(chargeId);

      expect(await refundDueCharges(t.service, provider)).toBe(1);

      const [refund] = stripe.refunds();
      expect(refund!.form).toEqual({ charge: chargeId });
      expect(stripe.fake.charges().find((c) => c.id === chargeId)!.refunded).toBe(true);
      expect((await paymentsOf(t, order.id))[0]!.refundedAt).toBeInstanceOf(Date);
      expect(await retryOf(t, chargeId)).toBeUndefined();
    } finally {
      await stripe.close();
    }
  });
});

describe('the refund sweeper under load and failure (a payments service of its own)', () => {
  let s: Payments;
  beforeAll(async () => {
    s = await startPayments();
    await s.listen(listeners);
  });
  afterAll(() => s.close());

  it('when a refund keeps failing, then each try waits twice as long as the one before, up to the cap', async () => {
    const { provider, state } = recordingProvider();
    state.failing = true;
    const { payment } = await cancelledPaidOrder(s);
    const backoff = { baseMs: 300, maxMs: 1000 };
    const options = { batchSize: 10, backoff };

    await refundDueCharges(s.service, provider, options);
    expect(state.calls).toBe(1);
    await refundDueCharges(s.service, provider, options); // still waiting: the provider is not asked
    expect(state.calls).toBe(1);
    const waits = [(await retryOf(s, payment.chargeId))!];
    for (const expected of [2, 3, 4]) {
      await eventually(async () => (await refundDueCharges(s.service, provider, options), state.calls === expected), {
        what: `try ${expected}`,
      });
      waits.push((await retryOf(s, payment.chargeId))!);
    }

    expect(waits.map((w) => w.failures)).toEqual([1, 2, 3, 4]);
    const [first, second, third, fourth] = waits.map((w) => w.waitMs);
    expect(first).toBeGreaterThan(200);
    expect(first).toBeLessThanOrEqual(300);
    expect(second).toBeGreaterThan(500); // 600
    expect(third).toBeGreaterThan(900); // 1200, capped at 1000
    expect(third).toBeLessThanOrEqual(1000);
    expect(fourth).toBeLessThanOrEqual(1000);
    // Given up on by nobody: once the provider answers, it is refunded.
    state.failing = false;
    await eventually(async () => (await refundDueCharges(s.service, provider, options)) === 1, { what: 'the refund', timeoutMs: 5000 });
  });

  it('when more refunds are due than a batch, then a pass refunds one batch and the next pass the rest', async () => {
    const { provider, refunds } = recordingProvider();
    await Promise.all([1, 2, 3].map(() => cancelledPaidOrder(s)));

    expect(await refundDueCharges(s.service, provider, { ...defaultRefundOptions, batchSize: 2 })).toBe(2);
    expect(await refundDueCharges(s.service, provider, { ...defaultRefundOptions, batchSize: 2 })).toBe(1);
    expect(refunds).toHaveLength(3);
  });

  it('when two replicas sweep at once, then only one passes and each charge is refunded once', async () => {
    const replica = await startPayments({ shared: s });
    try {
      const { provider, refunds } = recordingProvider();
      const held = gate();
      const slow: PaymentProvider = { ...provider, refund: async (r) => (await held.opened, provider.refund(r)) };
      const { payment } = await cancelledPaidOrder(s);

      const first = refundDueCharges(s.service, slow);
      await eventually(async () => (await lockHolders(s)) === 1, { what: 'the first pass to hold the lock' });
      const second = await refundDueCharges(replica.service, slow);
      held.open();

      expect(second).toBe(0);
      expect(await first).toBe(1);
      expect(refunds).toEqual([{ chargeId: payment.chargeId, idempotencyKey: `refund-${payment.chargeId}` }]);
    } finally {
      await replica.close();
    }
  });

});

/** How many sessions hold the refund sweeper's lock. */
async function lockHolders(s: Payments) {
  const { rows } = await s.service.database.pool.query<{ n: string }>(
    "select count(*) as n from pg_locks where locktype = 'advisory' and objid = $1 and granted",
    [advisoryLocks.paymentsRefundSweep],
  );
  return Number(rows[0]!.n);
}
