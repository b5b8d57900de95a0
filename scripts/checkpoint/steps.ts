import { isDeepStrictEqual } from 'node:util';
import { describeAnswer } from './answers.js';
import { fail, waitFor } from './check.js';
import type { Shop, User } from './shop.js';

/** The steps of a purchase through the public API, each failing with what the system answered. */

export interface Ticket {
  id: string;
  title: string;
  price: number;
  version: number;
  orderId: string | null;
  status: string;
}

export interface Order {
  id: string;
  status: string;
  version: number;
  expiresAt: string;
  ticket: { id: string; title: string; price: number };
}

export const sellTicket = (seller: User, title = 'Checkpoint seat', price = 20): Promise<Ticket> =>
  seller.expect(201, 'POST', '/api/tickets', { title, price });

/** Orders a ticket; a 404 means orders has not replicated it yet (ticket.created on its way), so it asks again. */
export async function orderTicket(shop: Shop, buyer: User, ticketId: string): Promise<Order> {
  const res = await waitFor(
    'orders knowing the new ticket (its replica, from ticket.created)',
    async () => {
      const res = await buyer.request('POST', '/api/orders', { ticketId });
      return res.status === 404 ? undefined : res;
    },
    shop.timeoutMs,
    () => 'POST /api/orders still answers 404: is orders handling ticket.created?',
  );
  if (res.status !== 201) fail(`POST /api/orders answered ${describeAnswer(res, 201)}`);
  return res.body;
}

export const payWithToken = (buyer: User, orderId: string, token = 'tok_visa') => buyer.expect(201, 'POST', '/api/payments', { orderId, token });

export async function orderReaching(shop: Shop, buyer: User, orderId: string, status: string, timeoutMs = shop.timeoutMs): Promise<Order> {
  let last: Order | undefined;
  return waitFor(
    `the order becoming ${status}`,
    async () => {
      last = await buyer.expect(200, 'GET', `/api/orders/${orderId}`);
      return last!.status === status ? last : undefined;
    },
    timeoutMs,
    () => `it is still ${last?.status} at version ${last?.version}`,
  );
}

export async function ticketReaching(shop: Shop, user: User, ticketId: string, what: string, ok: (t: Ticket) => boolean): Promise<Ticket> {
  let last: Ticket | undefined;
  return waitFor(
    `the ticket ${what}`,
    async () => {
      last = await user.expect(200, 'GET', `/api/tickets/${ticketId}`);
      return ok(last!) ? last : undefined;
    },
    shop.timeoutMs,
    () => `it is ${last?.status} at version ${last?.version} (orderId ${last?.orderId})`,
  );
}

/** A seller, a buyer, a ticket and the buyer's order for it (unpaid). */
export async function anOrder(shop: Shop, title?: string, price?: number) {
  const [seller, buyer] = await Promise.all([shop.newUser(), shop.newUser()]);
  const ticket = await sellTicket(seller, title, price);
  const order = await orderTicket(shop, buyer, ticket.id);
  return { seller, buyer, ticket, order };
}

/** A whole purchase paid with the sandbox's card token: the order complete, the ticket sold. */
export async function aPurchase(shop: Shop) {
  const bought = await anOrder(shop);
  await payWithToken(bought.buyer, bought.order.id);
  const order = await orderReaching(shop, bought.buyer, bought.order.id, 'complete');
  const ticket = await ticketReaching(shop, bought.seller, bought.ticket.id, 'sold (tickets heard order.completed)', (t) => t.status === 'sold');
  return { ...bought, order, ticket };
}

/** Same as `expect` for a value: a Failure naming `what` when `actual` is not `expected`. */
export function same(what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) fail(`${what} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`);
}
