import { randomUUID } from 'node:crypto';
import type { OrderStatus } from '@ticketing/contracts';
import { sql } from 'drizzle-orm';
import type { PaymentIntentStatus } from '@ticketing/contracts';
import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export { inbox, outbox, revokedSessions } from '@ticketing/common';

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
  /**
   * The provider's id for the money taken: a charge (Stripe `ch_...`, sandbox `ch_sandbox_...`)
   * or a payment intent (`pi_...`, `pi_sandbox_...`), which is what a refund names.
   */
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

/**
 * Where an attempt to charge a card stands. It is written `pending` before the provider is
 * asked, so a charge is never made without a row here, and leaves `pending` for:
 * - `recorded`: the charge is the order's payment (written with the payment row);
 * - `failed`: no charge was made (declined, invalid token, or the provider has none);
 * - `refund_due`: a charge was made but is not the order's payment (another charge paid the
 *   order, or the order was cancelled): the refund sweeper gives it back, then `refunded`.
 * A failed attempt goes back to `pending` when the buyer tries the same card again.
 */
export const AttemptState = {
  Pending: 'pending',
  Recorded: 'recorded',
  Failed: 'failed',
  RefundDue: 'refund_due',
  Refunded: 'refunded',
} as const;
export type AttemptState = (typeof AttemptState)[keyof typeof AttemptState];

/**
 * How an attempt takes money: a `charge` of a card token, answered in the request (POST
 * /api/payments), or an `intent` the buyer confirms in the browser, whose outcome arrives later
 * (a webhook, the sandbox's confirm, or the reconciler): POST /api/payments/intents.
 */
export type AttemptKind = 'charge' | 'intent';

/** Every charge asked of the provider, from before the call until its money is on record or back. */
export const paymentAttempts = pgTable(
  'payment_attempts',
  {
    id: uuid('id')
      .primaryKey()
      .$defaultFn(() => randomUUID()),
    kind: text('kind').$type<AttemptKind>().notNull().default('charge'),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    buyerId: uuid('buyer_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    /** The provider asked: only it can say whether the charge exists. */
    provider: text('provider').notNull(),
    /** Sent with the charge (the order and the card token): the same key is the same charge and the same attempt. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    state: text('state').$type<AttemptState>().notNull().default(AttemptState.Pending),
    /** The provider's charge, once known (for an intent: the intent's id, once it succeeded). */
    chargeId: text('charge_id'),
    /** An intent attempt's PaymentIntent at the provider, once created. */
    intentId: text('intent_id').unique(),
    /** The intent's status as last heard (the answer to the buyer, the reconciler's start). */
    intentStatus: text('intent_status').$type<PaymentIntentStatus>(),
    /** Why the intent's last payment method failed, for the buyer ("Your card was declined."). */
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Last change; a `pending` attempt untouched for a while is resolved with the provider. */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('payment_attempts_open_idx').on(t.state, t.updatedAt).where(sql`${t.state} in ('pending', 'refund_due')`)],
);

/**
 * Calls to the provider that failed and wait before the next try, doubling each time up to a
 * cap: a refund (`refund`, by charge id) or a look-up of a pending attempt (`resolve`, by
 * attempt id). Deleted once the call succeeds.
 */
export const providerRetries = pgTable(
  'provider_retries',
  {
    kind: text('kind').$type<'refund' | 'resolve'>().notNull(),
    subject: text('subject').notNull(),
    failures: integer('failures').notNull(),
    retryAt: timestamp('retry_at', { withTimezone: true }).notNull(),
    lastError: text('last_error'),
  },
  (t) => [primaryKey({ columns: [t.kind, t.subject] })],
);

/**
 * The sandbox provider's payment intents: its stand-in for Stripe's own records, in this
 * service's database so that every replica sees the same intent through confirm, challenge
 * and refund. Never written with the stripe provider.
 */
export const sandboxIntents = pgTable('sandbox_intents', {
  id: text('id').primaryKey(),
  clientSecret: text('client_secret').notNull().unique(),
  /** The same key is the same intent, as at Stripe. */
  idempotencyKey: text('idempotency_key').notNull().unique(),
  amountCents: integer('amount_cents').notNull(),
  currency: text('currency').notNull(),
  attemptId: uuid('attempt_id').notNull(),
  orderId: uuid('order_id').notNull(),
  status: text('status').$type<PaymentIntentStatus>().notNull(),
  lastError: text('last_error'),
  refunded: boolean('refunded').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Order = typeof orders.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type PaymentAttempt = typeof paymentAttempts.$inferSelect;
export type SandboxIntent = typeof sandboxIntents.$inferSelect;
