import { enqueueEvent, type Tx } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import { orders, type Order } from './db/schema.js';

/**
 * The order, locked until the transaction ends: DELETE, expiry and payment each lock it
 * first, so they take turns and each sees the status the previous one left.
 */
export async function lockOrder(tx: Tx, id: string): Promise<Order | undefined> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, id)).for('update');
  return order;
}

/** Cancels a locked order (version + 1) and publishes order.cancelled, freeing its ticket. */
export async function cancelOrder(tx: Tx, order: Order) {
  const version = await setStatus(tx, order, OrderStatus.Cancelled);
  await enqueueEvent(tx, 'order.cancelled', { id: order.id, version, ticket: { id: order.ticketId } });
}

/** Completes a locked order (version + 1) and publishes order.completed. */
export async function completeOrder(tx: Tx, order: Order) {
  const version = await setStatus(tx, order, OrderStatus.Complete);
  await enqueueEvent(tx, 'order.completed', { id: order.id, version, ticket: { id: order.ticketId } });
}

async function setStatus(tx: Tx, order: Order, status: OrderStatus) {
  const version = order.version + 1;
  await tx.update(orders).set({ status, version }).where(eq(orders.id, order.id));
  return version;
}
