import { defineListener, OrderStatus } from '@ticketing/common';
import { applyOrderStatus } from './order-replica.js';

/** A cancelled (or expired) order can no longer be paid. */
export const orderCancelledListener = defineListener('order.cancelled', async (order, { tx }) => {
  await applyOrderStatus(tx, order, OrderStatus.Cancelled);
});
