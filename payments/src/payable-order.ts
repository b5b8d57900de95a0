import { badRequest } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import type { PaymentsService } from './config.js';
import { orders, payments, type Order } from './db/schema.js';
import { askOrders } from './order-claim.js';
import { alreadyPaid, cancelledOrder, expiredOrder, orderNotFound, orderNotReady } from './refusals.js';

/** Stripe's minimum charge for USD, in cents: a smaller amount can never be paid. */
export const MIN_CHARGE_CENTS = 50;


/** An order that may be paid now: the buyer's, live, unpaid, in time, at least the minimum. */
export type PayableOrder = Order & { readonly payable: true };

/**
 * The buyer's order from this service's replica; someone else's is "not found" too (its
 * existence is not theirs to learn). An order made a moment ago may not be here yet: the
 * orders service says whether it exists, and if it does, the request waits for the replica,
 * woken by the commit of this service's order.created listener in any replica (the
 * `order_changed` notification), for at most PAYMENT_ORDER_WAIT_SECONDS.
 */
export async function findBuyersOrder(service: PaymentsService, buyerId: string, orderId: string): Promise<Order> {
  const lookUp = async () => (await service.database.db.select().from(orders).where(eq(orders.id, orderId)))[0];
  let order = await lookUp();
  if (!order) {
    await askOrders(service, { action: 'check', orderId, buyerId });
    order = await service.notifications.waitFor('order_changed', orderId, lookUp, service.config.PAYMENT_ORDER_WAIT_SECONDS * 1000);
    if (!order) throw orderNotReady();
  }
  if (order.userId !== buyerId) throw orderNotFound();
  return order;
}


/**
 * Refuses an order that cannot be paid (400), whichever way the buyer pays. The order's own
 * state decides first; the deadline holds even before order.cancelled arrives; an amount under
 * the provider's minimum is the order's fault, not the provider's (never a 502).
 */
export async function refuseUnpayable(service: PaymentsService, order: Order): Promise<PayableOrder> {
  if (order.status === OrderStatus.Cancelled) throw cancelledOrder();
  if (order.status === OrderStatus.Complete) throw alreadyPaid();
  const [paid] = await service.database.db.select({ id: payments.id }).from(payments).where(eq(payments.orderId, order.id));
  if (paid) throw alreadyPaid();
  if (order.expiresAt.getTime() <= Date.now()) throw expiredOrder();
  if (order.priceCents < MIN_CHARGE_CENTS) throw badRequest('Amount is below the minimum charge of $0.50');
  return order as PayableOrder;
}
