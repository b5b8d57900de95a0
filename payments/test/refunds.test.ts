import { eventually } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import type { PaymentProvider } from '../src/providers/payment-provider.js';
import { createSandboxProvider } from '../src/providers/sandbox-provider.js';
import { refundCancelledPayments, refundSweep } from '../src/refunds.js';
import { anOrder, cancel, complete, pay, paymentsOf, replicate, type Payments } from './helpers.js';
import { aUser, startPayments } from './setup.js';

let t: Payments;
beforeAll(async () => {
  t = await startPayments();
  await t.listen(listeners);
});
afterAll(() => t.close());

/** The sandbox, recording each refund; `failing` makes refunds throw, as a provider outage would. */
function recordingProvider() {
  const refunds: { chargeId: string; idempotencyKey: string }[] = [];
  const state = { failing: false };
  const provider: PaymentProvider = {
    ...createSandboxProvider(),
    async refund(request) {
      if (state.failing) throw new Error('provider down');
      refunds.push(request);
    },
  };
  return { provider, refunds, state };
}

/** An order of a new buyer, paid through the route (201). */
async function paidOrder() {
  const buyer = await aUser();
  const order = await replicate(t, anOrder({ userId: buyer.id }));
  expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);
  const [payment] = await paymentsOf(t, order.id);
  return { order, payment: payment! };
}

describe('refunds of payments whose order was cancelled anyway', () => {
  it('when order.cancelled arrives after the payment was recorded (it raced the expiry), then the charge is refunded once and the payment marked refunded', async () => {
    const { provider, refunds } = recordingProvider();
    const { order, payment } = await paidOrder();

    await cancel(t, order);

    expect(await refundCancelledPayments(t.service, provider)).toBe(1);
    expect(refunds).toEqual([{ chargeId: payment.chargeId, idempotencyKey: `refund-${payment.chargeId}` }]);
    const [after] = await paymentsOf(t, order.id);
    expect(after!.refundedAt).toBeInstanceOf(Date);
    expect(await refundCancelledPayments(t.service, provider)).toBe(0);
    expect(refunds).toHaveLength(1);
  });

  it('when the order is complete, then its payment is kept', async () => {
    const { provider, refunds } = recordingProvider();
    const { order, payment } = await paidOrder();

    await complete(t, order);

    await refundCancelledPayments(t.service, provider);
    expect(refunds.filter((r) => r.chargeId === payment.chargeId)).toEqual([]);
    const [after] = await paymentsOf(t, order.id);
    expect(after!.refundedAt).toBeNull();
  });

  it('when the provider cannot refund, then the payment stays unrefunded and a later pass refunds it', async () => {
    const { provider, refunds, state } = recordingProvider();
    const { order, payment } = await paidOrder();
    await cancel(t, order);

    state.failing = true;
    await refundCancelledPayments(t.service, provider);
    expect((await paymentsOf(t, order.id))[0]!.refundedAt).toBeNull();

    state.failing = false;
    await refundCancelledPayments(t.service, provider);
    expect(refunds.filter((r) => r.chargeId === payment.chargeId)).toHaveLength(1);
    expect((await paymentsOf(t, order.id))[0]!.refundedAt).toBeInstanceOf(Date);
  });

  it('when the sweeper runs on its timer, then a payment of an order cancelled later is refunded without being asked', async () => {
    const { provider, refunds } = recordingProvider();
    const sweeper = refundSweep(t.service, provider, 100);
    await sweeper.start();
    try {
      const { order, payment } = await paidOrder();
      await cancel(t, order);
      await eventually(async () => (await paymentsOf(t, order.id))[0]!.refundedAt !== null, { what: 'the refund' });
      expect(refunds.filter((r) => r.chargeId === payment.chargeId)).toHaveLength(1);
    } finally {
      await sweeper.stop();
    }
  });
});
