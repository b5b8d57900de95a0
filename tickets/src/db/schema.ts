import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox, revokedSessions } from '@ticketing/common';

/** Tickets for sale. Source of truth: other services keep replicas from its events. */
export const tickets = pgTable(
  'tickets',
  {
    id: uuid('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    /** Listing order (newest first) and the pagination cursor. */
    seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
    title: text('title').notNull(),
    priceCents: integer('price_cents').notNull(),
    userId: uuid('user_id').notNull(),
    /** Bumped by every change; each change publishes ticket.updated with it. */
    version: integer('version').notNull().default(0),
    /** The order holding the ticket; null while it is for sale. Kept once sold. */
    orderId: uuid('order_id'),
    /** When the holding order completed: the ticket is sold, for good. */
    soldAt: timestamp('sold_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('tickets_available_idx').on(t.seq.desc()).where(sql`${t.orderId} is null`),
    index('tickets_user_idx').on(t.userId),
  ],
);

/**
 * Orders known to be cancelled. Listeners of different subjects run independently, so an
 * order.cancelled can be handled before its order.created; this lets the late
 * order.created see that the order is already over and not reserve the ticket.
 */
export const cancelledOrders = pgTable('cancelled_orders', {
  orderId: uuid('order_id').primaryKey(),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Orders known to be complete, for the same reason: an order.completed handled before its
 * order.created lets the late order.created sell the ticket at once instead of only reserving it.
 */
export const completedOrders = pgTable('completed_orders', {
  orderId: uuid('order_id').primaryKey(),
  completedAt: timestamp('completed_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Ticket = typeof tickets.$inferSelect;
