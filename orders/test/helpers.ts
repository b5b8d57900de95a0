import { publishedEvents } from '@ticketing/testkit';
export { expectErrors, publishedEvents } from '@ticketing/testkit';
import type { EventPayload, Order as OrderBody } from '@ticketing/contracts';
import { eventually, publishTestEvent, readStream } from '@ticketing/testkit';
import { count, eq, isNull } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { expect } from 'vitest';
import { orders, outbox, tickets } from '../src/db/schema.js';
import type { aUser, startOrders } from './setup.js';

export type Orders = Awaited<ReturnType<typeof startOrders>>;
export type User = Awaited<ReturnType<typeof aUser>>;
export type { OrderBody };
/** A ticket as the tickets service announces it. */
export type ReplicatedTicket = EventPayload<'ticket.created'>;

/**
 * Makes a ticket known here as the tickets service would: a ticket.created event. The
 * orders listeners must be running (`await t.listen(listeners)`). Resolves once replicated.
 */
export async function replicateTicket(
  t: Orders,
  ticket: Partial<ReplicatedTicket> = {},
): Promise<ReplicatedTicket> {
  const full = { id: randomUUID(), title: `Gig ${randomUUID().slice(0, 6)}`, price: 20, userId: randomUUID(), version: 0, ...ticket };
  await publishTestEvent(t.bus, 'ticket.created', full);
  await eventually(async () => (await replicaOf(t, full.id)) !== undefined, { what: `ticket ${full.id} replicated` });
  return full;
}

/** The orders service's replica of a ticket, straight from its database. */
export async function replicaOf(t: Orders, id: string) {
  const [row] = await t.service.database.db.select().from(tickets).where(eq(tickets.id, id));
  return row;
}

/** POST /api/orders as `user`, expecting 201; returns the order. */
export async function createOrder(t: Orders, user: User, ticketId: string): Promise<OrderBody> {
  const res = await t.http.post('/api/orders').set('Cookie', user.cookie).send({ ticketId });
  expect(res.status).toBe(201);
  return res.body as OrderBody;
}

/** GET /api/orders/:id as `user`, expecting 200. */
export async function getOrder(t: Orders, user: User, id: string): Promise<OrderBody> {
  const res = await t.http.get(`/api/orders/${id}`).set('Cookie', user.cookie);
  expect(res.status).toBe(200);
  return res.body as OrderBody;
}

/** The order rows, straight from the database (whoever owns them). */
export async function orderRows(t: Orders) {
  return t.service.database.db.select().from(orders).orderBy(orders.seq);
}


/** Everything a refused request must leave alone: the order rows and the order events. */
export async function observableState(t: Orders) {
  return {
    orders: await orderRows(t),
    created: await publishedEvents(t, 'order.created'),
    cancelled: await publishedEvents(t, 'order.cancelled'),
  };
}

/** Completes an order as the payments service would: a payment.created event. */
export async function payFor(t: Orders, user: User, orderId: string) {
  await publishTestEvent(t.bus, 'payment.created', { id: randomUUID(), orderId, chargeId: `ch_${randomUUID()}` });
  await eventually(async () => (await getOrder(t, user, orderId)).status === 'complete', {
    what: `order ${orderId} complete`,
  });
}

/** Starts paying an order as the payments service would: a payment.started event. */
export async function startPayment(t: Orders, user: User, orderId: string) {
  await publishTestEvent(t.bus, 'payment.started', { id: randomUUID(), orderId });
  await eventually(async () => (await getOrder(t, user, orderId)).status === 'awaiting:payment', {
    what: `order ${orderId} awaiting payment`,
  });
}
