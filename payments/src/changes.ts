// Every write the payments service makes to its own database (its payments and payment attempts,
// the provider calls waiting to be retried, and its replica of the orders service's orders),
// each together with the event it publishes, if any.
import { enqueueEvent, isNextVersion, toCents, type Db, type Executor, type Tx } from '@ticketing/common';
import { OrderStatus, type EventPayload, type PaymentIntentStatus } from '@ticketing/contracts';
import { and, eq, inArray, isNull, lt, notInArray, or, sql, type SQL } from 'drizzle-orm';
import {
  AttemptState,
  orders,
  paymentAttempts,
  payments,
  providerRetries,
  type Payment,
  type PaymentAttempt,
} from './db/schema.js';

/** A new order: keep what paying for it needs (buyer, price, status, version, deadline). */
export async function replicateOrder(tx: Tx, order: EventPayload<'order.created'>) {
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
}

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

/**
 * A charge becomes the order's payment, and payment.created tells the orders service. The
 * unique order id refuses a second one (ONE_PAYMENT_PER_ORDER).
 */
export async function recordPayment(tx: Tx, charge: Pick<Payment, 'orderId' | 'chargeId' | 'amountCents' | 'provider'>) {
  const [created] = await tx.insert(payments).values(charge).returning();
  await enqueueEvent(tx, 'payment.created', { id: created!.id, orderId: charge.orderId, chargeId: charge.chargeId });
  return created!;
}

/**
 * Puts an attempt on record before its charge is asked for, in its own commit, so a crash
 * after the charge leaves a trace. The same key (same order, same card) is the same attempt:
 * a failed one is tried again. Undefined when the key's charge is settled already (recorded,
 * or given back): this card has paid for this order before.
 */
export async function startAttempt(
  db: Db,
  attempt: Pick<PaymentAttempt, 'orderId' | 'buyerId' | 'amountCents' | 'provider' | 'idempotencyKey'> & Partial<Pick<PaymentAttempt, 'kind'>>,
): Promise<PaymentAttempt | undefined> {
  const [started] = await db
    .insert(paymentAttempts)
    .values(attempt)
    .onConflictDoUpdate({
      target: paymentAttempts.idempotencyKey,
      set: { state: AttemptState.Pending, updatedAt: sql`now()` },
      setWhere: inArray(paymentAttempts.state, [AttemptState.Pending, AttemptState.Failed]),
    })
    .returning();
  return started;
}

/**
 * Records where an intent attempt's PaymentIntent stands. The first time its intent id is
 * recorded, payment.started tells the orders service that the order awaits payment; true then.
 * A final status (succeeded, canceled) is never overwritten: Stripe's webhooks may arrive out of
 * order.
 */
export async function noteIntent(
  tx: Tx,
  attemptId: string,
  intent: { id: string; status: PaymentIntentStatus; lastError: string | null },
): Promise<boolean> {
  const [started] = await tx
    .update(paymentAttempts)
    .set({ intentId: intent.id })
    .where(and(eq(paymentAttempts.id, attemptId), isNull(paymentAttempts.intentId)))
    .returning({ orderId: paymentAttempts.orderId });
  if (started) await enqueueEvent(tx, 'payment.started', { id: attemptId, orderId: started.orderId });
  await tx
    .update(paymentAttempts)
    .set({ intentStatus: intent.status, lastError: intent.lastError })
    .where(
      and(
        eq(paymentAttempts.id, attemptId),
        or(isNull(paymentAttempts.intentStatus), notInArray(paymentAttempts.intentStatus, ['succeeded', 'canceled'])),
      ),
    );
  return started !== undefined;
}

/** A pending intent attempt was looked at and is still open: the next look waits its turn again. */
export async function touchAttempt(db: Db, id: string) {
  await db
    .update(paymentAttempts)
    .set({ updatedAt: sql`now()` })
    .where(and(eq(paymentAttempts.id, id), eq(paymentAttempts.state, AttemptState.Pending)));
}

/** What became of a charge: the order's payment, or money to give back. */
export type Settlement =
  | { outcome: 'recorded'; payment: Payment }
  /** The same charge is the order's payment already (the same card's request, or a resolver, was first). */
  | { outcome: 'already_recorded' }
  | { outcome: 'refund_due'; because: 'paid' | 'cancelled' };

/**
 * Settles an attempt's charge: it becomes the order's payment (with payment.created), unless
 * the order is cancelled (or unknown) or paid by another charge, in which case the attempt is
 * left `refund_due` for the money to go back.
 */
export async function settleCharge(tx: Tx, attempt: PaymentAttempt, chargeId: string): Promise<Settlement> {
  // The order row locked: settlements of one order go one at a time, and an order.cancelled
  // being applied finishes first (or waits for this).
  const [order] = await tx.select().from(orders).where(eq(orders.id, attempt.orderId)).for('update');
  const [paid] = await tx.select().from(payments).where(eq(payments.orderId, attempt.orderId));
  if (paid?.chargeId === chargeId) {
    await moveAttempt(tx, attempt.id, AttemptState.Recorded, chargeId);
    return { outcome: 'already_recorded' };
  }
  if (paid || !order || order.status === OrderStatus.Cancelled) {
    await moveAttempt(tx, attempt.id, AttemptState.RefundDue, chargeId);
    return { outcome: 'refund_due', because: paid ? 'paid' : 'cancelled' };
  }
  const payment = await recordPayment(tx, { orderId: attempt.orderId, chargeId, amountCents: attempt.amountCents, provider: attempt.provider });
  await moveAttempt(tx, attempt.id, AttemptState.Recorded, chargeId);
  return { outcome: 'recorded', payment };
}

/** An open attempt (pending, or failed and then charged after all) moves to where its charge went. */
async function moveAttempt(tx: Tx, id: string, state: typeof AttemptState.Recorded | typeof AttemptState.RefundDue, chargeId: string) {
  await tx
    .update(paymentAttempts)
    .set({ state, chargeId, updatedAt: sql`now()` })
    .where(and(eq(paymentAttempts.id, id), inArray(paymentAttempts.state, [AttemptState.Pending, AttemptState.Failed])));
}

/**
 * No charge came of the attempt. With `untouchedForMs`, only if it is still that stale (a
 * request that took it up again meanwhile settles it itself).
 */
export async function markAttemptFailed(db: Executor, id: string, stale?: { untouchedForMs: number }) {
  await db
    .update(paymentAttempts)
    .set({ state: AttemptState.Failed, updatedAt: sql`now()` })
    .where(
      and(
        eq(paymentAttempts.id, id),
        eq(paymentAttempts.state, AttemptState.Pending),
        stale ? lt(paymentAttempts.updatedAt, sql`now() - ${stale.untouchedForMs} * interval '1 millisecond'`) : undefined,
      ),
    );
}

/** The charge of an attempt that did not become the order's payment was given back. */
export async function markAttemptRefunded(db: Db, id: string, chargeId: string) {
  await db
    .update(paymentAttempts)
    .set({ state: AttemptState.Refunded, chargeId, updatedAt: sql`now()` })
    .where(and(eq(paymentAttempts.id, id), inArray(paymentAttempts.state, [AttemptState.Pending, AttemptState.RefundDue])));
}

/** How long a failed provider call waits: `baseMs`, doubling with each failure, at most `maxMs`. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** A provider call failed: the next try waits (see Backoff). Returns how many times it has failed now. */
export async function noteProviderFailure(
  db: Db,
  call: { kind: 'refund' | 'resolve'; subject: string },
  backoff: Backoff,
  error: unknown,
): Promise<number> {
  const lastError = error instanceof Error ? error.message : String(error);
  const ms = (delay: SQL) => sql`now() + ${delay} * interval '1 millisecond'`;
  const [row] = await db
    .insert(providerRetries)
    .values({ ...call, failures: 1, retryAt: ms(sql`${Math.min(backoff.baseMs, backoff.maxMs)}`), lastError })
    .onConflictDoUpdate({
      target: [providerRetries.kind, providerRetries.subject],
      set: {
        failures: sql`${providerRetries.failures} + 1`,
        // The stored count is the one before this failure: base * 2^count is this failure's wait.
        retryAt: ms(sql`least(${backoff.baseMs}::float8 * power(2, ${providerRetries.failures}), ${backoff.maxMs})`),
        lastError,
      },
    })
    .returning({ failures: providerRetries.failures });
  return row!.failures;
}

/** The provider call succeeded: nothing waits any more. */
export async function clearProviderFailures(db: Db, call: { kind: 'refund' | 'resolve'; subject: string }) {
  await db.delete(providerRetries).where(and(eq(providerRetries.kind, call.kind), eq(providerRetries.subject, call.subject)));
}

/** The payment's money went back to the buyer (a repeated mark keeps the first time). */
export async function markRefunded(db: Db, paymentId: string) {
  await db
    .update(payments)
    .set({ refundedAt: new Date() })
    .where(and(eq(payments.id, paymentId), isNull(payments.refundedAt)));
}
