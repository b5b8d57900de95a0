import type { Logger } from '@ticketing/common';
import { noteIntent, startAttempt } from './changes.js';
import type { PaymentsService } from './config.js';
import type { PaymentAttempt } from './db/schema.js';
import { applyIntent } from './intent-outcome.js';
import { askOrders } from './order-claim.js';
import { findBuyersOrder, refuseUnpayable, type PayableOrder } from './payable-order.js';
import { alreadyPaid, providerUnavailable } from './refusals.js';
import type { PaymentProvider, ProviderIntent } from './providers/payment-provider.js';

/** The one idempotency key of an order's intent: starting twice, or after a crash, is the same intent. */
export const intentKey = (orderId: string) => `intent-${orderId}`;

/**
 * The buyer starts paying for their order, or resumes: the order's one payment intent, which
 * the buyer's browser then confirms (Stripe's Payment Element, or the sandbox form). `created`
 * is true the first time, when payment.started tells the orders service that the order awaits
 * payment.
 *
 * Like a charge, the intent is on record before the provider is asked: an intent attempt is
 * committed first, so an intent created by a request that then crashed is found again (by the
 * same key here, or by the reconciler). The provider is asked outside any transaction.
 */
export async function startIntent(
  service: PaymentsService,
  provider: PaymentProvider,
  { buyerId, orderId }: { buyerId: string; orderId: string },
  log: Logger,
): Promise<{ intent: ProviderIntent; created: boolean }> {
  const order = await refuseUnpayable(service, await findBuyersOrder(service, buyerId, orderId));
  // No intent for an order cancelled a moment ago that the replica has not heard of yet.
  await askOrders(service, { action: 'check', orderId, buyerId });
  const attempt = await startAttempt(service.database.db, {
    kind: 'intent',
    orderId: order.id,
    buyerId: order.userId,
    amountCents: order.priceCents,
    provider: provider.name,
    idempotencyKey: intentKey(order.id),
  });
  // The order's intent succeeded and was settled already.
  if (!attempt) throw alreadyPaid();
  const intent = await askProvider(provider, attempt, order, log);
  const created = await service.transaction((tx) => noteIntent(tx, attempt.id, intent));
  // Paid meanwhile, and its webhook not here yet: record it now rather than show a payment form.
  if (intent.status === 'succeeded') await applyIntent(service, provider, intent, log);
  log.info({ orderId, attemptId: attempt.id, status: intent.status, created, provider: provider.name }, 'payment intent started');
  return { intent, created };
}

/** The intent recorded for the attempt, as it is now, or a new one (the same one, should a crash have lost its id). */
async function askProvider(provider: PaymentProvider, attempt: PaymentAttempt, order: PayableOrder, log: Logger) {
  try {
    const known = attempt.intentId ? await provider.findIntent({ intentId: attempt.intentId, attemptId: attempt.id }) : undefined;
    return (
      known ??
      (await provider.startIntent({
        amountCents: attempt.amountCents,
        currency: 'usd',
        orderId: order.id,
        attemptId: attempt.id,
        idempotencyKey: attempt.idempotencyKey,
        description: `Ticketing order ${order.id}`,
      }))
    );
  } catch (err) {
    log.error({ err, orderId: order.id, attemptId: attempt.id, provider: provider.name }, 'payment provider failed');
    throw providerUnavailable();
  }
}
