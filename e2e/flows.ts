import { eventually } from '@ticketing/testkit';
import { expect } from 'vitest';
import { ApiUser, viaRoutes, type ApiResponse } from './client.js';
import type { RunningSystem } from './system.js';

/** Steps of a purchase that several whole-system tests share, each waiting for the events it needs. */

export async function sellTicket(seller: ApiUser, title = 'Concert', price = 20) {
  const res = await seller.post('/api/tickets', { title, price });
  expect(res.status).toBe(201);
  return res.body as { id: string; title: string; price: number; version: number };
}

/**
 * Sends a request until the service stops answering 404: a record made by one service reaches
 * the next through an event, a moment later.
 */
function untilKnown(send: () => Promise<ApiResponse>, what: string) {
  return eventually(async () => {
    const res = await send();
    return res.status === 404 ? undefined : res;
  }, { what });
}

/** Orders a ticket, retrying while the orders service has not yet received ticket.created. */
export const orderTicket = (buyer: ApiUser, ticketId: string) =>
  untilKnown(() => buyer.post('/api/orders', { ticketId }), `orders to know ticket ${ticketId}`);

/** Pays an order: one request, even right after the order was made (payments waits for it). */
export const payOrder = (buyer: ApiUser, orderId: string, token = 'tok_visa') => buyer.post('/api/payments', { orderId, token });

/** Starts (or resumes) paying an order through its payment intent; one request, as payOrder. */
export const startIntent = (buyer: ApiUser, orderId: string) => buyer.post('/api/payments/intents', { orderId });

export async function waitForOrderStatus(buyer: ApiUser, orderId: string, status: string, timeoutMs = 15_000) {
  return eventually(
    async () => {
      const res = await buyer.get(`/api/orders/${orderId}`);
      return res.body?.status === status && res.body;
    },
    { what: `order ${orderId} to be ${status}`, timeoutMs },
  );
}

export async function waitForTicket(
  user: ApiUser,
  ticketId: string,
  check: (ticket: { orderId: string | null; version: number; title: string; price: number; status: string }) => boolean,
  what: string,
  timeoutMs = 15_000,
) {
  return eventually(
    async () => {
      const res = await user.get(`/api/tickets/${ticketId}`);
      return res.status === 200 && check(res.body) && res.body;
    },
    { what: `ticket ${ticketId}: ${what}`, timeoutMs },
  );
}

export const listedIds = async (user: ApiUser) =>
  ((await user.get('/api/tickets?limit=200')).body as { id: string }[]).map((t) => t.id);

/** A new user of `system`, signed up and signed in. */
export const signUp = (system: RunningSystem) => ApiUser.signUp(viaRoutes(system));
