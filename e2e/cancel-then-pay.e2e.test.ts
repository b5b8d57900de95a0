import { startStripeStandIn, type StripeStandIn } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiUser } from './client.js';
import { orderTicket, payOrder, sellTicket, signUp, waitForOrderStatus } from './flows.js';
import { RunningSystem } from './system.js';

/**
 * A buyer cancels an order and pays for it a moment later, while other buyers keep the system
 * busy with whole purchases: the payment is refused every time, and Stripe (the local stand-in,
 * which records every request) never sees a charge for a cancelled order. Payments' replica
 * trails the cancel under load; the orders service's answer to the claim decides.
 */
const ROUNDS = 100;
const AT_ONCE = 10;
let stripe: StripeStandIn;
let system: RunningSystem;
beforeAll(async () => {
  stripe = await startStripeStandIn();
  system = await RunningSystem.start({ env: { STRIPE_SECRET_KEY: 'sk_test_e2e_0000', STRIPE_API_URL: stripe.url } });
});
afterAll(async () => {
  await system?.stop();
  await stripe?.close();
});

const chargedOrders = () => new Set(stripe.charges().map((c) => c.form.description?.replace('Ticketing order ', '')));

/** Whole purchases, one after another, until `done` says stop; how many completed. */
async function keepBuying(buyer: ApiUser, seller: ApiUser, done: () => boolean) {
  let bought = 0;
  while (!done()) {
    const ticket = await sellTicket(seller, 'Busy night', 25);
    const order = (await orderTicket(buyer, ticket.id)).body as { id: string };
    expect((await payOrder(buyer, order.id)).status).toBe(201);
    await waitForOrderStatus(buyer, order.id, 'complete');
    bought++;
  }
  return bought;
}

describe('cancel, then pay at once, under load', { timeout: 240_000 }, () => {
  it(`when a buyer pays for an order just cancelled (${ROUNDS} times), then 400 every time and no charge reaches the provider`, async () => {
    const seller = await signUp(system);
    const busy = await Promise.all([1, 2, 3, 4].map(() => signUp(system)));
    let finished = false;
    const load = Promise.all(busy.map((buyer) => keepBuying(buyer, seller, () => finished)));

    const buyers = await Promise.all(Array.from({ length: AT_ONCE }, () => signUp(system)));
    const cancelled: string[] = [];
    const answers: { status: number; message?: string }[] = [];
    try {
      await Promise.all(
        buyers.map(async (buyer) => {
          for (let round = 0; round < ROUNDS / AT_ONCE; round++) {
            const ticket = await sellTicket(seller, 'Changed my mind', 40);
            const order = (await orderTicket(buyer, ticket.id)).body as { id: string };
            expect((await buyer.delete(`/api/orders/${order.id}`)).status).toBe(204);
            const res = await payOrder(buyer, order.id);
            cancelled.push(order.id);
            answers.push({ status: res.status, message: res.body?.errors?.[0]?.message });
          }
        }),
      );
    } finally {
      finished = true;
    }
    const bought = (await load).reduce((a, b) => a + b, 0);

    expect(answers).toHaveLength(ROUNDS);
    expect(answers.filter((a) => a.status !== 400 || a.message !== 'Cannot pay for a cancelled order')).toEqual([]);
    const charged = chargedOrders();
    expect(cancelled.filter((id) => charged.has(id))).toEqual([]);
    // The load was real: purchases completed meanwhile, each charged once.
    expect(bought).toBeGreaterThan(0);
    expect(stripe.charges()).toHaveLength(bought);
  });
});
