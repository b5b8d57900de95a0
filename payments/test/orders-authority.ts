import { toCents } from '@ticketing/common';
import { createTestDatabase, createTestService, type TestBus } from '@ticketing/testkit';
import { eq } from 'drizzle-orm';
import { configSchema } from '../../orders/src/config.js';
import { migrationsFolder } from '../../orders/src/db/migrations-folder.js';
import { orders, tickets } from '../../orders/src/db/schema.js';
import { paymentClaims } from '../../orders/src/payment-claims.js';
import type { OrderCreated } from './helpers.js';

/**
 * The orders service's side of payments' claims (docs/design.md §4, Requests), for payments' own tests:
 * orders' real responder (orders/src/payment-claims.ts) on a database of its own, answering on
 * the test's bus. The orders a test replicates into payments are written here too, as the
 * orders service holds them, and cancelled or completed here before their event is published,
 * as the orders service does.
 */
export async function startOrdersAuthority(bus: TestBus) {
  const database = await createTestDatabase();
  const t = await createTestService({ name: 'orders', migrationsFolder, configSchema, shared: { database, bus } });
  const claims = paymentClaims(t.service);
  await claims.start();
  const { db } = t.service.database;
  return {
    async hold(order: OrderCreated) {
      await db.insert(tickets).values({ id: order.ticket.id, title: 'A ticket', priceCents: toCents(order.ticket.price), version: 0 }).onConflictDoNothing();
      await db
        .insert(orders)
        .values({ id: order.id, userId: order.userId, status: 'created', expiresAt: new Date(order.expiresAt), ticketId: order.ticket.id, version: order.version })
        .onConflictDoNothing();
    },
    async setStatus(orderId: string, status: 'cancelled' | 'complete' | 'awaiting:payment', version: number) {
      await db.update(orders).set({ status, version }).where(eq(orders.id, orderId));
    },
    /** Until when the order is held for a charge (null when it is not). */
    async claimOf(orderId: string) {
      const [row] = await db.select({ until: orders.paymentClaimedUntil }).from(orders).where(eq(orders.id, orderId));
      return row?.until ?? null;
    },
    async close() {
      await claims.stop();
      await t.service.close();
      await database.drop();
    },
  };
}
export type OrdersAuthority = Awaited<ReturnType<typeof startOrdersAuthority>>;
