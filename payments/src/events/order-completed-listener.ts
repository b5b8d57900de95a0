import { defineListener } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { applyOrderStatus } from '../changes.js';

/** The orders service has recorded this service's payment: the order is complete. */
export const orderCompletedListener = defineListener('order.completed', async (order, { tx }) => {
  await applyOrderStatus(tx, order, OrderStatus.Complete);
});
