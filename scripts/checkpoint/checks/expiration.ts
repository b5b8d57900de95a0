import { fail, Skip, type Check } from '../check.js';
import { anOrder, orderReaching, same, ticketReaching } from '../steps.js';
import type { Shop } from '../shop.js';

/** Chapter 7 (and exercise 3 of chapter 12): one durable timer per order, and what its firing does. */

/** The longest expiration window the checkpoint waits out; longer ones are only checked as scheduled. */
const LONGEST_WAIT_SECONDS = 60;

/** An order, with its window as the system set it (its expiresAt less the time its 201 came, to the second). */
async function timedOrder(shop: Shop) {
  const placed = await anOrder(shop);
  const windowSeconds = Math.round((Date.parse(placed.order.expiresAt) - Date.now()) / 1000);
  return { ...placed, windowSeconds };
}

export const expiryScheduled: Check = {
  id: 'expiry-scheduled',
  title: "a new order carries its deadline (expiresAt, EXPIRATION_WINDOW_SECONDS after it), and expiration has scheduled its timer (handled order.created)",
  guide: ['07-expiration.md', 'One job per order, in PostgreSQL'],
  async run(shop) {
    const bus = await shop.bus();
    const { order, windowSeconds } = await timedOrder(shop);
    if (windowSeconds < 1) fail(`the order's expiresAt (${order.expiresAt}) is not in the future`);
    // The checkpoint's own shell may say what the system was started with.
    const configured = Number(process.env.EXPIRATION_WINDOW_SECONDS ?? 'NaN');
    if (Number.isFinite(configured) && Math.abs(configured - windowSeconds) > 2) {
      fail(`the order expires ${windowSeconds} s after it was placed, but EXPIRATION_WINDOW_SECONDS is ${configured} here: was the system started with it?`);
    }
    const created = await bus.event('order.created for the order', (e) => e.subject === 'order.created' && (e.payload as { id: string }).id === order.id, shop.timeoutMs);
    await bus.handledBy(created, ['expiration'], shop.timeoutMs);
    return `window ${windowSeconds} s`;
  },
};

export const expiryFires: Check = {
  id: 'expiry-fires',
  title: 'at its deadline an unpaid order is cancelled (expiration.complete, then order.cancelled), its ticket is for sale again, and paying is refused',
  guide: ['07-expiration.md', 'The orders service decides'],
  async run(shop) {
    const bus = await shop.bus();
    const { seller, buyer, ticket, order, windowSeconds } = await timedOrder(shop);
    if (windowSeconds > LONGEST_WAIT_SECONDS) {
      throw new Skip(
        `the expiration window is ${windowSeconds} s, too long to wait for here (the timer's scheduling is checked by expiry-scheduled); ` +
          `to watch one fire, start the system with EXPIRATION_WINDOW_SECONDS=10 npm start and run this checkpoint again`,
      );
    }
    const waitMs = windowSeconds * 1000 + shop.timeoutMs;
    const complete = await bus.event('expiration.complete for the order', (e) => e.subject === 'expiration.complete' && (e.payload as { orderId: string }).orderId === order.id, waitMs);
    await bus.handledBy(complete, ['orders'], shop.timeoutMs);
    same('the expired order\'s version', (await orderReaching(shop, buyer, order.id, 'cancelled')).version, 1);
    const freed = await ticketReaching(shop, seller, ticket.id, 'available again', (t) => t.status === 'available');
    same('the freed ticket', [freed.orderId, freed.version], [null, 2]);
    await buyer.expect(400, 'POST', '/api/payments', { orderId: order.id, token: 'tok_visa' });
    return `window ${windowSeconds} s`;
  },
};
