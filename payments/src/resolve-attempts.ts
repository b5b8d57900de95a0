import { advisoryLocks, PeriodicWorker, whileHolding, type ServiceContext } from '@ticketing/common';
import { and, asc, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { clearProviderFailures, markAttemptFailed, markAttemptRefunded, noteProviderFailure, settleCharge } from './changes.js';
import { AttemptState, paymentAttempts, providerRetries, type PaymentAttempt } from './db/schema.js';
import type { PaymentProvider } from './providers/payment-provider.js';
import { giveBack, type RefundOptions } from './refunds.js';

export interface ResolveOptions extends RefundOptions {
  /**
   * A pending attempt untouched this long is no longer being charged by a request (which
   * would have settled it) and is asked about. Longer than a request's whole provider call,
   * and than the provider's look-up takes to see a new charge.
   */
  resolveAfterMs: number;
}

/**
 * Settles payment attempts left pending: the process died between the charge and its record,
 * the record's transaction failed, or the provider gave no answer. At start and periodically
 * it asks the provider whether each stale attempt made a charge:
 * - a charge: it becomes the order's payment (with payment.created), or is refunded when the
 *   order is cancelled or unknown or already paid by another charge (or was refunded already);
 * - no charge: the attempt failed, nothing is recorded.
 * One replica passes at a time (an advisory lock); a look-up that fails waits longer each time.
 */
export const attemptResolver = (service: ServiceContext, provider: PaymentProvider, options: ResolveOptions) =>
  new PeriodicWorker('attemptResolver', () => resolveStaleAttempts(service, provider, options), {
    // Often enough that a stale attempt waits at most about twice the bound, never busier than 1 s.
    intervalMs: Math.max(1000, Math.min(options.resolveAfterMs, 30_000)),
    logger: service.logger,
  });

/** One pass: settles up to a batch of stale attempts; returns how many (0 while another replica is passing). */
export async function resolveStaleAttempts(service: ServiceContext, provider: PaymentProvider, options: ResolveOptions): Promise<number> {
  const resolved = await whileHolding(service.database, advisoryLocks.paymentsAttemptResolver, async () => {
    let count = 0;
    for (const attempt of await staleAttempts(service, provider, options)) {
      if (await resolve(service, provider, attempt, options)) count++;
    }
    return count;
  });
  return resolved ?? 0;
}

async function resolve(service: ServiceContext, provider: PaymentProvider, attempt: PaymentAttempt, options: ResolveOptions) {
  const db = service.database.db;
  const log = service.logger.child({ attemptId: attempt.id, orderId: attempt.orderId, provider: provider.name });
  const call = { kind: 'resolve', subject: attempt.id } as const;
  let charge;
  try {
    charge = await provider.findCharge(attempt.id);
  } catch (err) {
    const failures = await noteProviderFailure(db, call, options.backoff, err);
    log.warn({ err, failures }, 'could not ask the provider about a pending payment attempt; will retry');
    return false;
  }
  await clearProviderFailures(db, call);
  if (!charge) {
    // Only if it is still stale: a request that took it up again meanwhile settles it itself.
    await markAttemptFailed(db, attempt.id, { untouchedForMs: options.resolveAfterMs });
    log.info('pending payment attempt made no charge: failed');
    return true;
  }
  if (charge.refunded) {
    await markAttemptRefunded(db, attempt.id, charge.chargeId);
    log.warn({ chargeId: charge.chargeId }, 'pending payment attempt was charged and refunded already');
    return true;
  }
  const settled = await service.transaction((tx) => settleCharge(tx, attempt, charge.chargeId));
  if (settled.outcome === 'refund_due') {
    await giveBack(service, provider, { kind: 'attempt', id: attempt.id, orderId: attempt.orderId, chargeId: charge.chargeId }, log, options.backoff);
  } else if (settled.outcome === 'recorded') {
    log.warn({ chargeId: charge.chargeId, paymentId: settled.payment.id }, 'pending payment attempt was charged: recorded as the order payment');
  }
  return true;
}

/** Pending charge attempts of this provider, untouched for `resolveAfterMs`, not waiting after a failed look-up (intents: reconcile-intents.ts). */
async function staleAttempts(service: ServiceContext, provider: PaymentProvider, options: ResolveOptions): Promise<PaymentAttempt[]> {
  const rows = await service.database.db
    .select({ attempt: paymentAttempts })
    .from(paymentAttempts)
    .leftJoin(providerRetries, and(eq(providerRetries.kind, 'resolve'), eq(providerRetries.subject, sql`${paymentAttempts.id}::text`)))
    .where(
      and(
        eq(paymentAttempts.kind, 'charge'),
        eq(paymentAttempts.state, AttemptState.Pending),
        eq(paymentAttempts.provider, provider.name),
        lt(paymentAttempts.updatedAt, sql`now() - ${options.resolveAfterMs} * interval '1 millisecond'`),
        or(isNull(providerRetries.retryAt), lte(providerRetries.retryAt, sql`now()`)),
      ),
    )
    .orderBy(sql`${providerRetries.retryAt} nulls first`, asc(paymentAttempts.updatedAt))
    .limit(options.batchSize);
  return rows.map((r) => r.attempt);
}
