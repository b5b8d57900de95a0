// Every write the payments service makes to its own database (its payments, and its replica of the
// orders service's orders), each together with the event it publishes, if any.
import { enqueueEvent, isNextVersion, toCents, type Db, type Tx } from '@ticketing/common';
import type { EventPayload, OrderStatus } from '@ticketing/contracts';
import { and, eq, isNull } from 'drizzle-orm';
import { orders, payments, type Payment } from './db/schema.js';

/** A new order: keep what paying for it needs (buyer, price, status, version, deadline). */
export async function replicateOrder(tx: Tx, order: EventPayload<'order.created'>) {
  // Already there (a re-published event): keep it, it may have moved on since.
  await tx
    .insert(orders)
    .values({
      id: order.id,
      userId: order.userId,
      priceCents: toCents(order.ticket.price),
      status: order.status,
      version: order.version,
      expiresAt: new Date(order.expiresAt),
    })
    .onConflictDoNothing();
}

/**
 * Applies a status change from the orders service to the replica, only at the next version:
 * an older or repeated one is ignored, one that skips ahead (or arrives before the order
 * itself) is left for redelivery.
 */
export async function applyOrderStatus(tx: Tx, event: { id: string; version: number }, status: OrderStatus) {
  // Locked, so a payment checking the status meanwhile sees it before or after, not during.
  const [stored] = await tx.select().from(orders).where(eq(orders.id, event.id)).for('update');
  if (!isNextVersion(stored, event.version, `order ${event.id}`)) return;
  await tx.update(orders).set({ status, version: event.version }).where(eq(orders.id, event.id));
}

/**
 * A charge becomes the order's payment, and payment.created tells the orders service. The
 * unique order id refuses a second one (ONE_PAYMENT_PER_ORDER).
 */
export async function recordPayment(tx: Tx, charge: Pick<Payment, 'orderId' | 'chargeId' | 'amountCents' | 'provider'>) {
  const [created] = await tx.insert(payments).values(charge).returning();
  await enqueueEvent(tx, 'payment.created', { id: created!.id, orderId: charge.orderId, chargeId: charge.chargeId });
  return created!;
}

/** The payment's money went back to the buyer (a repeated mark keeps the first time). */
export async function markRefunded(db: Db, paymentId: string) {
  await db
    .update(payments)
    .set({ refundedAt: new Date() })
    .where(and(eq(payments.id, paymentId), isNull(payments.refundedAt)));
}
