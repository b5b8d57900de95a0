import { eventually, publishTestEvent, readStream } from '@ticketing/testkit';
import { count, eq, isNull } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { expect } from 'vitest';
import { orders, outbox, paymentAttempts, payments } from '../src/db/schema.js';
import type { aUser, startPayments } from './setup.js';

export type Payments = Awaited<ReturnType<typeof startPayments>>;
export type User = Awaited<ReturnType<typeof aUser>>;

/** Any non-blank error message. */
export const aMessage = expect.stringMatching(/\S/);

/** The error shape of docs/design.md §3: exactly these entries, each a message and maybe a field. */
export function expectErrors(res: Response, status: number, fields: (string | undefined)[]) {
  expect(res.status).toBe(status);
  expect(res.type).toBe('application/json');
  expect(res.body).toEqual({
    errors: fields.map((field) => (field === undefined ? { message: aMessage } : { message: aMessage, field })),
  });
}

/** One error with this exact message (and field, if given). */
export function expectError(res: Response, status: number, message: string, field?: string) {
  expect(res.status).toBe(status);
  expect(res.type).toBe('application/json');
  expect(res.body).toEqual({ errors: [field === undefined ? { message } : { message, field }] });
}

export interface OrderCreated {
  id: string;
  version: number;
  status: string;
  userId: string;
  expiresAt: string;
  ticket: { id: string; price: number };
}

/** An order.created payload as the orders service publishes it. */
export function anOrder(overrides: Partial<OrderCreated> = {}): OrderCreated {
  return {
    id: randomUUID(),
    version: 0,
    status: 'created',
    userId: randomUUID(),
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: randomUUID(), price: 20 },
    ...overrides,
  };
}

/** The replica row of an order, or undefined. */
export async function replicaOf(t: Payments, orderId: string) {
  const [row] = await t.service.database.db.select().from(orders).where(eq(orders.id, orderId));
  return row;
}

/**
 * Replicates an order the way the orders service does, with an order.created event; the
 * listeners must be running (`await t.listen(listeners)`). Returns the payload once stored.
 */
export async function replicate(t: Payments, order: OrderCreated): Promise<OrderCreated> {
  await t.orders.hold(order);
  await publishTestEvent(t.bus, 'order.created', order);
  await eventually(async () => (await replicaOf(t, order.id)) !== undefined, { what: `order ${order.id} replicated` });
  return order;
}

/** Publishes order.cancelled / order.completed (version 1) and waits for the replica to show it. */
export async function cancel(t: Payments, order: OrderCreated, version = 1) {
  await t.orders.setStatus(order.id, 'cancelled', version);
  await publishTestEvent(t.bus, 'order.cancelled', { id: order.id, version, ticket: { id: order.ticket.id } });
  await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled', { what: `order ${order.id} cancelled` });
}
export async function complete(t: Payments, order: OrderCreated, version = 1) {
  await t.orders.setStatus(order.id, 'complete', version);
  await publishTestEvent(t.bus, 'order.completed', { id: order.id, version, ticket: { id: order.ticket.id } });
  await eventually(async () => (await replicaOf(t, order.id))?.status === 'complete', { what: `order ${order.id} complete` });
}

/** The payment rows of one order. */
export async function paymentsOf(t: Payments, orderId: string) {
  return t.service.database.db.select().from(payments).where(eq(payments.orderId, orderId));
}

/** The payment attempts of one order, oldest first. */
export async function attemptsOf(t: Payments, orderId: string) {
  return t.service.database.db.select().from(paymentAttempts).where(eq(paymentAttempts.orderId, orderId)).orderBy(paymentAttempts.createdAt);
}

/**
 * The payment.created payloads once every event committed so far has been published (the
 * outbox holds nothing unsent), so a missing event is really missing, not just late.
 */
export async function publishedPayments(t: Payments): Promise<{ id: string; orderId: string; chargeId: string }[]> {
  await t.service.relay.flush();
  await eventually(
    async () => {
      const [row] = await t.service.database.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt));
      return row?.n === 0;
    },
    { what: 'outbox drained' },
  );
  return (await readStream(t.bus, 'payment.created')).map((e) => e.payload as { id: string; orderId: string; chargeId: string });
}

/** What a refused payment must leave alone: every payment row and every payment.created. */
export async function paymentState(t: Payments) {
  return {
    rows: await t.service.database.db.select().from(payments).orderBy(payments.createdAt, payments.id),
    events: await publishedPayments(t),
  };
}

/** POST /api/payments as `user`. */
export function pay(t: Payments, user: User, body: unknown) {
  return t.http.post('/api/payments').set('Cookie', user.cookie).send(body as object);
}

/** POST /api/payments/intents as `user`. */
export function startIntent(t: Payments, user: User, body: unknown) {
  return t.http.post('/api/payments/intents').set('Cookie', user.cookie).send(body as object);
}

/** The payment.started payloads once every event committed so far has been published. */
export async function publishedStarts(t: Payments): Promise<{ id: string; orderId: string }[]> {
  await publishedPayments(t); // drains the outbox
  return (await readStream(t.bus, 'payment.started')).map((e) => e.payload as { id: string; orderId: string });
}
