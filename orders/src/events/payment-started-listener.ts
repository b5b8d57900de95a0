import { defineListener, PermanentFailure } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { lockOrder, markAwaitingPayment } from '../changes.js';

/** The buyer started paying through a payment intent: the order awaits its payment. */
export const paymentStartedListener = defineListener('payment.started', async ({ orderId }, { tx }) => {
  const order = await lockOrder(tx, orderId);
  // Payments only knows orders this service made and announced.
  if (!order) throw new PermanentFailure(`order ${orderId} not found`);
  // Only from created: a cancelled order stays cancelled, a complete one complete, and one
  // already awaiting payment has nothing new to say.
  if (order.status !== OrderStatus.Created) return;
  await markAwaitingPayment(tx, order);
});
