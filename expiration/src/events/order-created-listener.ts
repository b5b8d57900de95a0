import { currentTraceparent, defineListener } from '@ticketing/common';
import type { ExpiryQueue } from '../expiry-queue.js';

/**
 * A new order starts its clock: a job due at `expiresAt` that publishes expiration.complete.
 * The job is keyed by the order id, so a redelivered order.created schedules nothing more. It
 * keeps the event's trace, so the expiry is followed in the same trace as the order.
 */
export const orderCreatedListener = (queue: ExpiryQueue) =>
  defineListener('order.created', async (order, { log }) => {
    const scheduled = await queue.schedule(order.id, new Date(order.expiresAt), currentTraceparent());
    log.info(
      { orderId: order.id, expiresAt: order.expiresAt },
      scheduled ? 'order expiry scheduled' : 'order expiry already scheduled',
    );
  });
