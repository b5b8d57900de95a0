import { enqueueEvent, type Tx } from '@ticketing/common';

/**
 * An order's time is up: expiration.complete, written to the outbox in the expiry job's
 * transaction (the relay publishes it after commit). The orders service cancels the order
 * unless it has been paid.
 */
export async function publishExpirationComplete(tx: Tx, orderId: string): Promise<void> {
  await enqueueEvent(tx, 'expiration.complete', { orderId });
}
