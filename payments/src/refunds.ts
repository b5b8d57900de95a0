import { advisoryLocks, PeriodicWorker, whileHolding, type Logger, type ServiceContext } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { and, asc, eq, isNull, lte, or, sql } from 'drizzle-orm';
import { clearProviderFailures, markAttemptRefunded, markRefunded, noteProviderFailure, type Backoff } from './changes.js';
import { AttemptState, orders, paymentAttempts, payments, providerRetries } from './db/schema.js';
import type { PaymentProvider } from './providers/payment-provider.js';

/** A charge whose money goes back: a kept payment of a cancelled order, or an attempt's charge that was not kept. */
export interface DueRefund {
  kind: 'payment' | 'attempt';
  /** The payment's or the attempt's id. */
  id: string;
  orderId: string;
  chargeId: string;
}

export interface RefundOptions {
  /** Refunds tried per pass at most; the rest wait for the next pass. */
  batchSize: number;
  /** How long a charge whose refund failed waits before the next try. */
  backoff: Backoff;
}

export const defaultRefundOptions: RefundOptions = { batchSize: 50, backoff: { baseMs: 1000, maxMs: 10 * 60_000 } };

/**
 * Gives money back for charges that are not kept:
 * - payments whose order was cancelled anyway. That happens when a payment races the order's
 *   end: the charge finishes after the order expired, or the payment.created reaches the
 *   orders service after expiry (or the buyer) cancelled the order. The orders service keeps
 *   such an order cancelled (its ticket may already be someone else's); order.cancelled then
 *   marks this service's replica cancelled, and this finds the payment and refunds it;
 * - attempts left `refund_due`: a second charge for a paid order, or a charge for an order
 *   cancelled while it was made, whose refund on the spot failed.
 *
 * Like the outbox relay it is a periodic pass over the database, outside any transaction (a
 * slow provider holds no lock), so a crash only delays a refund: the next pass, here or on
 * another replica, does it. One replica passes at a time (an advisory lock), and the
 * idempotency key makes a refund repeated by a crash one refund at the provider. A refund that
 * fails waits before its next try, longer each time, so one that keeps failing neither
 * hammers the provider nor holds up the others.
 */
export const refundSweep = (service: ServiceContext, provider: PaymentProvider, intervalMs = 1000, options = defaultRefundOptions) =>
  new PeriodicWorker('refundSweep', () => refundDueCharges(service, provider, options), { intervalMs, logger: service.logger });

/**
 * One pass: refunds up to a batch of due charges whose wait after a failure is over; returns
 * how many it refunded (0 while another replica is passing).
 */
export async function refundDueCharges(service: ServiceContext, provider: PaymentProvider, options = defaultRefundOptions): Promise<number> {
  const refunded = await whileHolding(service.database, advisoryLocks.paymentsRefundSweep, async () => {
    let count = 0;
    for (const due of await dueRefunds(service, options.batchSize)) {
      if (await giveBack(service, provider, due, service.logger, options.backoff)) count++;
    }
    return count;
  });
  return refunded ?? 0;
}

/**
 * Refunds one charge and marks it refunded; on failure, keeps it due and makes its next try
 * wait. True when the money is back.
 */
export async function giveBack(service: ServiceContext, provider: PaymentProvider, due: DueRefund, logger: Logger, backoff = defaultRefundOptions.backoff) {
  const db = service.database.db;
  const log = logger.child({ ...due, provider: provider.name });
  const call = { kind: 'refund', subject: due.chargeId } as const;
  try {
    await provider.refund({ chargeId: due.chargeId, idempotencyKey: `refund-${due.chargeId}` });
  } catch (err) {
    const failures = await noteProviderFailure(db, call, backoff, err);
    log.error({ err, failures }, 'refund of a charge that was not kept failed; kept as due, will retry');
    return false;
  }
  if (due.kind === 'payment') await markRefunded(db, due.id);
  else await markAttemptRefunded(db, due.id, due.chargeId);
  await clearProviderFailures(db, call);
  log.warn(due.kind === 'payment' ? 'payment for a cancelled order refunded' : 'charge not kept for the order refunded');
  return true;
}

/** Due refunds not waiting after a failure: never tried first, then the longest waiting. */
async function dueRefunds(service: ServiceContext, limit: number): Promise<DueRefund[]> {
  const db = service.database.db;
  const ready = or(isNull(providerRetries.retryAt), lte(providerRetries.retryAt, sql`now()`));
  const ofPayments = await db
    .select({ id: payments.id, orderId: payments.orderId, chargeId: payments.chargeId })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .leftJoin(providerRetries, and(eq(providerRetries.kind, 'refund'), eq(providerRetries.subject, payments.chargeId)))
    .where(and(eq(orders.status, OrderStatus.Cancelled), isNull(payments.refundedAt), ready))
    .orderBy(sql`${providerRetries.retryAt} nulls first`, asc(payments.createdAt))
    .limit(limit);
  const ofAttempts = await db
    .select({ id: paymentAttempts.id, orderId: paymentAttempts.orderId, chargeId: sql<string>`${paymentAttempts.chargeId}` })
    .from(paymentAttempts)
    .leftJoin(providerRetries, and(eq(providerRetries.kind, 'refund'), eq(providerRetries.subject, paymentAttempts.chargeId)))
    .where(and(eq(paymentAttempts.state, AttemptState.RefundDue), ready))
    .orderBy(sql`${providerRetries.retryAt} nulls first`, asc(paymentAttempts.updatedAt))
    .limit(Math.max(0, limit - ofPayments.length));
  return [
    ...ofPayments.map((p) => ({ kind: 'payment' as const, ...p })),
    ...ofAttempts.map((a) => ({ kind: 'attempt' as const, ...a })),
  ];
}
