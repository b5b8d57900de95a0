import { defineListener, PermanentFailure } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { completeOrder, lockOrder } from '../changes.js';

/** The order was paid: it becomes complete and its ticket stays taken for good. */
export const paymentCreatedListener = defineListener('payment.created', async (payment, { tx, log }) => {
  const order = await lockOrder(tx, payment.orderId);
  if (!order) throw new PermanentFailure(`order ${payment.orderId} not found`);
  if (order.status === OrderStatus.Complete) return;
  if (order.status === OrderStatus.Cancelled) {
    // A cancelled order is never paid (its ticket may already be someone else's): it stays
    // cancelled, and payments refunds the charge when its order.cancelled reaches it.
    log.warn(
      { orderId: order.id, paymentId: payment.id, chargeId: payment.chargeId },
      'payment arrived for a cancelled order; payments refunds the charge',
    );
    return;
  }
  await completeOrder(tx, order);
});
