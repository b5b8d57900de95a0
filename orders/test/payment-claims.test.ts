import { ask, RequestUnanswered } from '@ticketing/common';
import { paymentClaimReplySchema, requestSubjects, type PaymentClaimRequest } from '@ticketing/contracts';
import { eventually, publishTestEvent } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../src/db/schema.js';
import { listeners } from '../src/events/listeners.js';
import { paymentClaims } from '../src/payment-claims.js';
import { createOrder, expectErrors, getOrder, payFor, publishedEvents, replicateTicket, type OrderBody, type User } from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Awaited<ReturnType<typeof startOrders>>;
let claims: ReturnType<typeof paymentClaims>;
beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
  claims = paymentClaims(t.service);
  await claims.start();
});
afterAll(async () => {
  await claims.stop();
  await t.close();
});

/** Asks as the payments service does, over NATS request-reply. */
const askClaim = (request: PaymentClaimRequest) => ask(t.service.bus, requestSubjects.paymentClaim, request, paymentClaimReplySchema, 5000);
const claim = (buyer: User, order: OrderBody, holdSeconds = 60) => askClaim({ action: 'claim', orderId: order.id, buyerId: buyer.id, holdSeconds });
const cancel = (buyer: User, order: OrderBody) => t.http.delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie);

async function anOrder() {
  const buyer = await aUser();
  const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
  return { buyer, order };
}
async function claimedUntil(order: OrderBody) {
  const [row] = await t.service.database.db.select({ until: orders.paymentClaimedUntil }).from(orders).where(eq(orders.id, order.id));
  return row!.until;
}
const cancelsOf = async (order: OrderBody) =>
  ((await publishedEvents(t, 'order.cancelled')) as { id: string }[]).filter((e) => e.id === order.id);

describe('orders.payment-claim', () => {
  it('when payments claims a created order, then it is granted and held for the seconds asked, and the buyer cancelling meanwhile gets 409 and changes nothing', async () => {
    const { buyer, order } = await anOrder();
    const before = Date.now();
    expect(await claim(buyer, order, 30)).toEqual({ outcome: 'granted' });
    const until = (await claimedUntil(order))!.getTime();
    expect(until).toBeGreaterThanOrEqual(before + 30_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 30_000);

    const res = await cancel(buyer, order);
    expectErrors(res, 409, [undefined]);
    expect(res.body.errors[0].message).toBe('A payment for this order is in progress; try again in a moment');
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'created', version: 0 });
    await t.service.relay.flush();
    expect(await cancelsOf(order)).toEqual([]);
  });

  it('when the claim is let go, then the buyer can cancel at once', async () => {
    const { buyer, order } = await anOrder();
    await claim(buyer, order);
    expect(await askClaim({ action: 'release', orderId: order.id, buyerId: buyer.id })).toEqual({ outcome: 'granted' });
    expect(await claimedUntil(order)).toBeNull();
    expect((await cancel(buyer, order)).status).toBe(204);
  });

  it('when the claim has lapsed (its charge never reported back), then the buyer can cancel', async () => {
    const { buyer, order } = await anOrder();
    await t.service.database.db.update(orders).set({ paymentClaimedUntil: new Date(Date.now() - 1000) }).where(eq(orders.id, order.id));
    expect((await cancel(buyer, order)).status).toBe(204);
  });

  it('when payments only checks, then it is granted and nothing is held', async () => {
    const { buyer, order } = await anOrder();
    expect(await askClaim({ action: 'check', orderId: order.id, buyerId: buyer.id })).toEqual({ outcome: 'granted' });
    expect(await claimedUntil(order)).toBeNull();
    expect((await cancel(buyer, order)).status).toBe(204);
  });

  it('when the order was cancelled a moment ago, then the claim is refused as cancelled and nothing is held', async () => {
    const { buyer, order } = await anOrder();
    expect((await cancel(buyer, order)).status).toBe(204);
    expect(await claim(buyer, order)).toEqual({ outcome: 'cancelled' });
    expect(await claimedUntil(order)).toBeNull();
  });

  it('when the order is paid, past its deadline, someone else\'s or unknown, then the claim says so', async () => {
    const paid = await anOrder();
    await payFor(t, paid.buyer, paid.order.id);
    expect(await claim(paid.buyer, paid.order)).toEqual({ outcome: 'paid' });

    const late = await anOrder();
    await t.service.database.db.update(orders).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(orders.id, late.order.id));
    expect(await claim(late.buyer, late.order)).toEqual({ outcome: 'expired' });
    expect(await claimedUntil(late.order)).toBeNull();

    const stranger = await aUser();
    expect(await claim(stranger, paid.order)).toEqual({ outcome: 'not_found' });
    expect(await askClaim({ action: 'claim', orderId: randomUUID(), buyerId: stranger.id })).toEqual({ outcome: 'not_found' });
  });

  it('when a request is off its schema, then the answer is an error the asker treats as no answer', async () => {
    await expect(ask(t.service.bus, requestSubjects.paymentClaim, { action: 'steal', orderId: 'x' }, paymentClaimReplySchema, 5000)).rejects.toBeInstanceOf(
      RequestUnanswered,
    );
  });

  it('when the order expires while it is held, then it stays live until the claim is let go, and is cancelled then', async () => {
    const { buyer, order } = await anOrder();
    await claim(buyer, order);
    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });
    // Redelivered (out of order) while held: wait for a few refusals, then the order is still live.
    await eventually(async () => (await t.service.metrics.eventsFailed.get()).values.some((v) => v.labels.cause === 'out_of_order' && v.value >= 2), {
      what: 'expiry refused while held',
    });
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'created' });

    await askClaim({ action: 'release', orderId: order.id, buyerId: buyer.id });
    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'cancelled', { what: 'expired once let go' });
  });

  it('when claims and cancels race on many orders, then each order is either held and not cancelled, or cancelled and not held', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const { buyer, order } = await anOrder();
        const [claimed, cancelled] = await Promise.all([claim(buyer, order), cancel(buyer, order)]);
        return { claimed: claimed.outcome, cancelled: cancelled.status, status: (await getOrder(t, buyer, order.id)).status };
      }),
    );
    for (const o of outcomes) {
      expect([
        { claimed: 'granted', cancelled: 409, status: 'created' },
        { claimed: 'cancelled', cancelled: 204, status: 'cancelled' },
      ]).toContainEqual(o);
    }
  });
});
