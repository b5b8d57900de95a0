import { randomUUID } from 'node:crypto';
import type { OrderStatus } from '@ticketing/contracts';
import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox, revokedSessions } from '@ticketing/common';

/**
 * This service's replica of the tickets service's tickets, kept from ticket.created and
 * ticket.updated: same id, and the version of the last change applied.
 */
export const tickets = pgTable('tickets', {
  id: uuid('id').primaryKey(),
  title: text('title').notNull(),
  priceCents: integer('price_cents').notNull(),
  version: integer('version').notNull(),
});

/** The index that makes "one live order per ticket" hold even when buyers race. */
export const ONE_LIVE_ORDER_PER_TICKET = 'orders_one_live_order_per_ticket';

/** Orders: the source of truth for a buyer's reservation of a ticket. */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    /** Listing order (newest first): timestamps can tie, a sequence cannot. */
    seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
    userId: uuid('user_id').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** Bumped by every change; each change publishes an order event with it. */
    version: integer('version').notNull().default(0),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * Until when the payments service holds the order for a charge under way (its claim): the
     * buyer's cancel and expiry wait for it, so a cancelled order is never charged.
     */
    paymentClaimedUntil: timestamp('payment_claimed_until', { withTimezone: true }),
  },
  (t) => [
    // Live = anything not cancelled (created, awaiting:payment, complete): a paid ticket stays taken.
    uniqueIndex(ONE_LIVE_ORDER_PER_TICKET).on(t.ticketId).where(sql`${t.status} <> 'cancelled'`),
    index('orders_user_idx').on(t.userId, t.seq.desc()),
    check('orders_status_check', sql`${t.status} in ('created', 'cancelled', 'awaiting:payment', 'complete')`),
  ],
);

export type Ticket = typeof tickets.$inferSelect;
export type Order = typeof orders.$inferSelect;
