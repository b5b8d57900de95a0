import { defineListener } from '@ticketing/common';
import { applyOrderStatus } from '../changes.js';

/** The order's status changed without ending it (its payment started: `awaiting:payment`). */
export const orderUpdatedListener = defineListener('order.updated', async (order, { tx }) => {
  await applyOrderStatus(tx, order, order.status);
});
