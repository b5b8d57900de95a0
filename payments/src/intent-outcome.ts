import { recordInInbox, type Logger } from '@ticketing/common';
import { and, eq, or } from 'drizzle-orm';
import { markAttemptFailed, noteIntent, settleCharge, type Settlement } from './changes.js';
import type { PaymentsService } from './config.js';
import { AttemptState, paymentAttempts } from './db/schema.js';
import type { PaymentProvider, ProviderIntent } from './providers/payment-provider.js';
import { giveBack } from './refunds.js';

/** The inbox's consumer name for Stripe's webhook events: each event id takes effect once. */
export const WEBHOOK_CONSUMER = 'stripe-webhook';

/** What an intent's news did here. */
export type IntentOutcome = 'unknown' | 'duplicate' | 'settled_before' | 'noted' | 'failed' | Settlement['outcome'];

/**
 * Applies what the provider says about a payment intent, from whichever source heard it first:
 * Stripe's webhook (with its event id, so a delivery repeated by Stripe has no second effect),
 * the sandbox's confirm and challenge, or the reconciler.
 * - succeeded: the intent becomes the order's payment, with payment.created, once; when the
 *   order was cancelled meanwhile (or paid otherwise) its money is given back, now through the
 *   Refunds API, or by the refund sweeper should that fail;
 * - canceled: the attempt failed, nothing was taken;
 * - anything else (declined, requires action, processing): its status and error are noted for
 *   the buyer, and the attempt stays open.
 */
export async function applyIntent(
  service: PaymentsService,
  provider: PaymentProvider,
  intent: ProviderIntent,
  log: Logger,
  event?: { id: string; type: string },
): Promise<IntentOutcome> {
  const db = service.database.db;
  const byIntent = eq(paymentAttempts.intentId, intent.id);
  const [attempt] = await db
    .select()
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.kind, 'intent'), intent.attemptId ? or(byIntent, eq(paymentAttempts.id, intent.attemptId)) : byIntent));
  if (!attempt) {
    // Another shop's intent on the same Stripe account, or a test event from the dashboard.
    log.warn({ intentId: intent.id, event: event?.type }, 'payment intent of no attempt here: ignored');
    return 'unknown';
  }
  const outcome = await service.transaction(async (tx): Promise<IntentOutcome> => {
    if (event && !(await recordInInbox(tx, { eventId: event.id, consumer: WEBHOOK_CONSUMER, subject: event.type }))) return 'duplicate';
    // Locked: the webhook, the sandbox and the reconciler may bring the same news at once.
    const [current] = await tx.select().from(paymentAttempts).where(eq(paymentAttempts.id, attempt.id)).for('update');
    // Its money is the order's payment already, or being given back: later news changes nothing.
    if (current!.state !== AttemptState.Pending && current!.state !== AttemptState.Failed) return 'settled_before';
    await noteIntent(tx, attempt.id, intent);
    if (intent.status === 'succeeded') return (await settleCharge(tx, attempt, intent.id)).outcome;
    if (intent.status === 'canceled') {
      await markAttemptFailed(tx, attempt.id);
      return 'failed';
    }
    return 'noted';
  });
  if (outcome === 'refund_due') {
    await giveBack(service, provider, { kind: 'attempt', id: attempt.id, orderId: attempt.orderId, chargeId: intent.id }, log);
  }
  log.info({ orderId: attempt.orderId, attemptId: attempt.id, status: intent.status, outcome, event: event?.type }, 'payment intent applied');
  return outcome;
}
