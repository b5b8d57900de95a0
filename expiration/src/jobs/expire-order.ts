import { enqueueEvent, type Tx } from '@ticketing/common';

/**
 * The expiry job's handler: an order's time is up. It writes expiration.complete to the outbox
 * in the job's own transaction (the relay publishes it after commit); the orders service then
 * cancels the order unless it has been paid.
 */
export async function expireOrder(tx: Tx, orderId: string): Promise<void> {
  await enqueueEvent(tx, 'expiration.complete', { orderId });
}
