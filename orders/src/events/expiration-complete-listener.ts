import { defineListener, PermanentFailure, RetryLater } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { cancelOrder, lockOrder } from '../changes.js';
import { paymentClaimHolds } from '../payment-claims.js';

/** An order's time is up: cancel it and free its ticket, unless it was paid in time. */
export const expirationCompleteListener = defineListener('expiration.complete', async ({ orderId }, { tx }) => {
  const order = await lockOrder(tx, orderId);
  // Dead-lettered at once: expiry is only ever scheduled for an order this service made.
  if (!order) throw new PermanentFailure(`order ${orderId} not found`);
  // A complete order is never cancelled; a cancelled one has nothing left to do.
  if (order.status === OrderStatus.Complete || order.status === OrderStatus.Cancelled) return;
  // A charge that began in time finishes first: the order completes, or expires once it is let go.
  if (paymentClaimHolds(order)) throw new RetryLater(`order ${orderId} is held for a payment under way`);
  await cancelOrder(tx, order);
});
