import { defineListener } from '@ticketing/common';
import { replicateOrder } from '../changes.js';

/** A new order: keep a replica, so its buyer can pay for it. */
export const orderCreatedListener = defineListener('order.created', async (order, { tx }) => {
  await replicateOrder(tx, order);
});
