import { randomUUID } from 'node:crypto';
import type { OrderStatus } from '@ticketing/contracts';
import { integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox } from '@ticketing/common';

/**
 * This service's replica of the orders it may be asked to charge, kept from order.created,
 * order.cancelled and order.completed. The orders service owns them; ids and versions are its.
 */
export const orders = pgTable('orders', {
  id: uuid('id').primaryKey(),
  /** The buyer: only they may pay. */
  userId: uuid('user_id').notNull(),
  /** What a payment charges: the ticket's price when the order was taken. */
  priceCents: integer('price_cents').notNull(),
  status: text('status').$type<OrderStatus>().notNull(),
  /** The orders service's version; only the next one is applied. */
  version: integer('version').notNull(),
  /** After this, payment is refused even before order.cancelled arrives. */
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** The unique constraint that refuses a second payment for an order (see isUniqueViolation). */
export const ONE_PAYMENT_PER_ORDER = 'payments_order_id_unique';

/** Successful charges. The unique order id is what stops an order being paid twice. */
export const payments = pgTable('payments', {
  id: uuid('id')
    .primaryKey()
    .$defaultFn(() => randomUUID()),
  orderId: uuid('order_id')
    .notNull()
    .unique(ONE_PAYMENT_PER_ORDER)
    .references(() => orders.id),
  /** The provider's id for the charge (Stripe `ch_...`, sandbox `ch_sandbox_...`). */
  chargeId: text('charge_id').notNull(),
  amountCents: integer('amount_cents').notNull(),
  /** Which provider took the money: `sandbox` or `stripe`. */
  provider: text('provider').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * When the charge was given back because the order was cancelled (by the buyer or by
   * expiry) although it was paid: a payment that raced the cancellation. Null: money kept.
   */
  refundedAt: timestamp('refunded_at', { withTimezone: true }),
});

export type Order = typeof orders.$inferSelect;
export type Payment = typeof payments.$inferSelect;
