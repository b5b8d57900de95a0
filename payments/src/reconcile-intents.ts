import { advisoryLocks, PeriodicWorker, whileHolding } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { and, asc, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { clearProviderFailures, markAttemptFailed, noteProviderFailure, touchAttempt, type Backoff } from './changes.js';
import type { PaymentsService } from './config.js';
import { AttemptState, orders, paymentAttempts, providerRetries, type PaymentAttempt } from './db/schema.js';
import { applyIntent } from './intent-outcome.js';
import type { PaymentProvider, ProviderIntent } from './providers/payment-provider.js';

export interface ReconcileOptions {
  /** An open intent not heard of for this long is asked about (its webhook may be lost). */
  reconcileAfterMs: number;
  batchSize: number;
  /** How long an intent whose look-up failed waits before the next try. */
  backoff: Backoff;
}

const isOpen = (intent: ProviderIntent) => intent.status !== 'succeeded' && intent.status !== 'canceled';

/**
 * Settles payment intents whose news did not arrive, and closes the ones nobody will pay:
 * - an open intent of an order that was cancelled or has expired (an abandoned 3-D Secure
 *   challenge, say) is cancelled at the provider, so it can no longer take money; if the
 *   buyer's payment won that race, its money is given back (applyIntent);
 * - an intent not heard of for `reconcileAfterMs` is asked about: succeeded is recorded as the
 *   order's payment (with payment.created), canceled fails the attempt, still open waits for
 *   the buyer and is asked about again later;
 * - an attempt whose intent was never created (a crash before the provider answered) fails.
 * One replica passes at a time (an advisory lock); a look-up that fails waits longer each time.
 */
export const intentReconciler = (service: PaymentsService, provider: PaymentProvider, options: ReconcileOptions) =>
  new PeriodicWorker('intentReconciler', () => reconcileIntents(service, provider, options), {
    // Often enough that an abandoned intent is cancelled within seconds of its order's end.
    intervalMs: Math.max(1000, Math.min(options.reconcileAfterMs, 5000)),
    logger: service.logger,
  });

/** One pass; returns how many intents it looked at (0 while another replica is passing). */
export async function reconcileIntents(service: PaymentsService, provider: PaymentProvider, options: ReconcileOptions): Promise<number> {
  const looked = await whileHolding(service.database, advisoryLocks.paymentsIntentReconciler, async () => {
    const due = await dueAttempts(service, provider, options);
    for (const { attempt, orderOver } of due) await reconcile(service, provider, attempt, orderOver, options);
    return due.length;
  });
  return looked ?? 0;
}

async function reconcile(service: PaymentsService, provider: PaymentProvider, attempt: PaymentAttempt, orderOver: boolean, options: ReconcileOptions) {
  const db = service.database.db;
  const log = service.logger.child({ attemptId: attempt.id, orderId: attempt.orderId, provider: provider.name });
  const call = { kind: 'resolve', subject: attempt.id } as const;
  let intent: ProviderIntent | undefined;
  try {
    intent = await provider.findIntent({ intentId: attempt.intentId, attemptId: attempt.id });
    if (intent && orderOver && isOpen(intent)) intent = await provider.cancelIntent(intent.id);
  } catch (err) {
    const failures = await noteProviderFailure(db, call, options.backoff, err);
    log.warn({ err, failures }, 'could not ask the provider about a payment intent; will retry');
    return;
  }
  await clearProviderFailures(db, call);
  if (!intent) {
    // None was made; only once stale, as a search may not see a new one yet.
    await markAttemptFailed(db, attempt.id, { untouchedForMs: options.reconcileAfterMs });
    return;
  }
  await applyIntent(service, provider, intent, log);
  if (isOpen(intent)) await touchAttempt(db, attempt.id);
}

/** Pending intent attempts of this provider whose order is over, or not heard of for a while, not waiting after a failed look-up. */
async function dueAttempts(service: PaymentsService, provider: PaymentProvider, options: ReconcileOptions) {
  const orderOver = or(eq(orders.status, OrderStatus.Cancelled), lte(orders.expiresAt, sql`now()`));
  return service.database.db
    .select({ attempt: paymentAttempts, orderOver: sql<boolean>`${orderOver}` })
    .from(paymentAttempts)
    .innerJoin(orders, eq(orders.id, paymentAttempts.orderId))
    .leftJoin(providerRetries, and(eq(providerRetries.kind, 'resolve'), eq(providerRetries.subject, sql`${paymentAttempts.id}::text`)))
    .where(
      and(
        eq(paymentAttempts.kind, 'intent'),
        eq(paymentAttempts.state, AttemptState.Pending),
        eq(paymentAttempts.provider, provider.name),
        or(orderOver, lt(paymentAttempts.updatedAt, sql`now() - ${options.reconcileAfterMs} * interval '1 millisecond'`)),
        or(isNull(providerRetries.retryAt), lte(providerRetries.retryAt, sql`now()`)),
      ),
    )
    .orderBy(sql`${providerRetries.retryAt} nulls first`, asc(paymentAttempts.updatedAt))
    .limit(options.batchSize);
}
