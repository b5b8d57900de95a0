/**
 * Pods killed while a batch of purchases is in flight, and nothing lost: every purchase
 * completes exactly once, no ticket is sold twice, no order is left waiting.
 *
 * The test kills the pods itself (kubectl on KUBE_CONTEXT) rather than the script from
 * outside: only here is it known which step of which purchase is in flight when the kill
 * lands, and so what must survive it. The kill is a crash (no grace period, no preStop):
 * events the dead pod had received but not acknowledged come back from JetStream after its
 * ack wait, and what it had committed but not yet published leaves through its outbox.
 */
import { eventually } from '@ticketing/testkit';
import { describe, expect, it } from 'vitest';
import { ApiUser } from '../client.js';
import { orderTicket, sellTicket, startIntent, waitForOrderStatus, waitForTicket } from '../flows.js';
import { despiteOutage, killPods, podUids, replaced, signUp } from './cluster.js';

const BATCH = 6;
/** A replacement pod's start plus JetStream's 30 s redelivery, with room on a CI runner. */
const RECOVERY_MS = 4 * 60_000;

interface Purchase {
  buyer: ApiUser;
  ticket: { id: string };
  order: { id: string };
}

/** BATCH buyers, each with an order for a ticket of its own (one seller). */
async function ordersInFlight(title: string): Promise<{ seller: ApiUser; purchases: Purchase[] }> {
  const seller = await signUp();
  const purchases = await Promise.all(
    Array.from({ length: BATCH }, async (_, i) => {
      const buyer = await signUp();
      const ticket = await sellTicket(seller, `${title} ${i + 1}`, 20 + i);
      const order = await orderTicket(buyer, ticket.id);
      expect(order.status).toBe(201);
      return { buyer, ticket, order: order.body as { id: string } };
    }),
  );
  return { seller, purchases };
}

/** Each order complete exactly once (at `version`), the buyer's only order, its ticket taken by it alone. */
async function expectEachCompleteOnce(seller: ApiUser, purchases: Purchase[], version: number) {
  const outcomes = await Promise.all(
    purchases.map(async ({ buyer, ticket, order }) => {
      const complete = await eventually(
        async () => {
          const res = await buyer.get(`/api/orders/${order.id}`);
          return res.body?.status === 'complete' && res;
        },
        { what: `order ${order.id} to complete`, timeoutMs: RECOVERY_MS, intervalMs: 1000 },
      );
      const mine = await despiteOutage(() => buyer.get('/api/orders'), 'the buyer\'s orders');
      // Sold once tickets hears order.completed, a moment after the order completes.
      const sold = await waitForTicket(seller, ticket.id, (t) => t.status === 'sold', 'sold', RECOVERY_MS);
      const rival = await signUp();
      const again = await despiteOutage(() => rival.post('/api/orders', { ticketId: ticket.id }), 'a second order of the ticket');
      return {
        order: order.id,
        version: complete.body.version,
        buyersOrders: (mine.body as { id: string; status: string }[]).map((o) => `${o.id} ${o.status}`),
        ticket: { orderId: sold.orderId, version: sold.version },
        secondOrder: again.status,
      };
    }),
  );
  expect(outcomes).toEqual(
    purchases.map(({ order }) => ({
      order: order.id,
      version,
      buyersOrders: [`${order.id} complete`],
      ticket: { orderId: order.id, version: 2 },
      secondOrder: 409,
    })),
  );
}

describe('a pod killed mid-batch', () => {
  it('when the orders pod is killed while a batch of card payments completes its orders, then every order completes exactly once', async () => {
    const { seller, purchases } = await ordersInFlight('Orders crash');
    const before = await podUids('orders');
    expect(before.length).toBeGreaterThan(0);

    // payments answers on its own (it keeps its own copy of the orders); orders learns of each
    // payment from payment.created, which the kill interrupts.
    const [payments] = await Promise.all([
      Promise.all(
        purchases.map(({ buyer, order }) =>
          // 404 too: payments may not have heard of the order yet.
          despiteOutage(() => buyer.post('/api/payments', { orderId: order.id, token: 'tok_visa' }), `payment of ${order.id}`, RECOVERY_MS, [404]),
        ),
      ),
      killPods('orders'),
    ]);
    expect(payments.map((p) => p.status)).toEqual(purchases.map(() => 201));
    await replaced('orders', before);

    await expectEachCompleteOnce(seller, purchases, 1);
  });

  it('when the payments pod is killed while a batch of payment intents is confirmed, then every order completes exactly once', async () => {
    const { seller, purchases } = await ordersInFlight('Payments crash');
    const secrets = await Promise.all(
      purchases.map(async ({ buyer, order }) => {
        const intent = await startIntent(buyer, order.id);
        expect(intent.status).toBe(201);
        await waitForOrderStatus(buyer, order.id, 'awaiting:payment', 60_000);
        return intent.body.clientSecret as string;
      }),
    );
    const before = await podUids('payments');
    expect(before.length).toBeGreaterThan(0);

    // A confirm the dead pod never answered is sent again to its replacement; one it had
    // carried out already is refused as no longer confirmable, or answered as succeeded.
    const [confirms] = await Promise.all([
      Promise.all(
        purchases.map(({ buyer }, i) =>
          despiteOutage(
            () => buyer.post('/api/payments/sandbox/confirm', { clientSecret: secrets[i], paymentMethod: 'pm_card_visa' }),
            `confirming intent ${i + 1}`,
            RECOVERY_MS,
          ),
        ),
      ),
      killPods('payments'),
    ]);
    for (const res of confirms) expect([200, 400]).toContain(res.status);
    await replaced('payments', before);

    await expectEachCompleteOnce(seller, purchases, 2);
    // Paid once: the replacement refuses to start another intent for any of them.
    for (const { buyer, order } of purchases) expect((await buyer.post('/api/payments/intents', { orderId: order.id })).status).toBe(400);
  });
});
