import { defineListener, toCents } from '@ticketing/common';
import { orders } from '../db/schema.js';

/** A new order: keep what paying for it needs (buyer, price, status, version, deadline). */
export const orderCreatedListener = defineListener('order.created', async (order, { tx }) => {
  // Already there (a re-published event): keep it, it may have moved on since.
  await tx
    .insert(orders)
    .values({
      id: order.id,
      userId: order.userId,
      priceCents: toCents(order.ticket.price),
      status: order.status,
      version: order.version,
      expiresAt: new Date(order.expiresAt),
    })
    .onConflictDoNothing();
});
