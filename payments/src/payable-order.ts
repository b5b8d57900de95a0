import { AppError, badRequest, notFound } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import type { PaymentsService } from './config.js';
import { orders, payments, type Order } from './db/schema.js';

/** Stripe's minimum charge for USD, in cents: a smaller amount can never be paid. */
export const MIN_CHARGE_CENTS = 50;

export const orderNotFound = () => notFound('Order not found');
export const cancelledOrder = () => badRequest('Cannot pay for a cancelled order');
export const alreadyPaid = () => badRequest('Order has already been paid');
export const providerUnavailable = () => new AppError(502, [{ message: 'Payment provider unavailable' }]);

/** An order that may be paid now: the buyer's, live, unpaid, in time, at least the minimum. */
export type PayableOrder = Order & { readonly payable: true };

/** The buyer's order from this service's replica; someone else's is "not found" too (its existence is not theirs to learn). */
export async function findBuyersOrder(service: PaymentsService, buyerId: string, orderId: string): Promise<Order> {
  const [order] = await service.database.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order || order.userId !== buyerId) throw orderNotFound();
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
  if (order.expiresAt.getTime() <= Date.now()) throw badRequest('Order has expired');
  if (order.priceCents < MIN_CHARGE_CENTS) throw badRequest('Amount is below the minimum charge of $0.50');
  return order as PayableOrder;
}
