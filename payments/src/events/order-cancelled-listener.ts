import { defineListener } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { applyOrderStatus } from '../changes.js';

/** A cancelled (or expired) order can no longer be paid. */
export const orderCancelledListener = defineListener('order.cancelled', async (order, { tx }) => {
  await applyOrderStatus(tx, order, OrderStatus.Cancelled);
});
