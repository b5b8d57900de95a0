import { isNextVersion, type Tx } from '@ticketing/common';
import type { OrderStatus } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import { orders } from '../db/schema.js';

/**
 * Applies a status change from the orders service to the replica, only at the next version:
 * an older or repeated one is ignored, one that skips ahead (or arrives before the order
 * itself) is left for redelivery.
 */
export async function applyOrderStatus(tx: Tx, event: { id: string; version: number }, status: OrderStatus) {
  // Locked, so a payment checking the status meanwhile sees it before or after, not during.
  const [stored] = await tx.select().from(orders).where(eq(orders.id, event.id)).for('update');
  if (!isNextVersion(stored, event.version, `order ${event.id}`)) return;
  await tx.update(orders).set({ status, version: event.version }).where(eq(orders.id, event.id));
}
