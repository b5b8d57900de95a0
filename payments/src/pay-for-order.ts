import { createHash } from 'node:crypto';
import { badRequest, type Logger } from '@ticketing/common';
import { markAttemptFailed, settleCharge, startAttempt } from './changes.js';
import type { PaymentsService } from './config.js';
import type { Payment, PaymentAttempt } from './db/schema.js';
import { askOrders, releaseClaim } from './order-claim.js';
import { findBuyersOrder, refuseUnpayable, type PayableOrder } from './payable-order.js';
import { alreadyPaid, cancelledOrder, providerUnavailable } from './refusals.js';
import type { PaymentProvider } from './providers/payment-provider.js';
import { giveBack } from './refunds.js';

/** Who pays for which order, with which card token. */
export interface PaymentRequest {
  buyerId: string;
  orderId: string;
  token: string;
}

/**
 * The buyer pays for their order with a card token; returns the recorded payment.
 *
 * Every charge is on record: a payment attempt is committed before the provider is asked,
 * and settled after it answers, so a crash or a database error in between leaves a pending
 * attempt that the attempt resolver settles with the provider's word (resolve-attempts.ts).
 *
 * The charge goes to the provider outside any database transaction (a slow provider must not
 * hold a connection or a lock). Its idempotency key is the order and the card token, so a
 * double submit gets the same charge back instead of a second one, while a buyer whose card
 * was declined can still pay with another (the provider remembers a key's first answer).
 * The payment row and its payment.created event are then written in one transaction, which
 * decides which of two concurrent payments is recorded; a losing charge made with another
 * card is refunded, or left refund due for the refund sweeper.
 */
export async function payForOrder(
  service: PaymentsService,
  provider: PaymentProvider,
  { buyerId, orderId, token }: PaymentRequest,
  log: Logger,
): Promise<Payment> {
  const order = await refuseUnpayable(service, await findBuyersOrder(service, buyerId, orderId));
  // The order as it is now, not as the replica last heard: held for this charge, or refused.
  await askOrders(service, { action: 'claim', orderId, buyerId });
  const attempt = await recordAttempt(service, provider, order, token);
  const chargeId = await chargeCard(service, provider, attempt, token, log);
  const payment = await recordOrGiveBack(service, provider, attempt, chargeId, log);
  log.info({ orderId, paymentId: payment.id, provider: provider.name }, 'payment recorded');
  return payment;
}

/** The attempt, committed before any money moves; the same order and card token are the same attempt. */
async function recordAttempt(service: PaymentsService, provider: PaymentProvider, order: PayableOrder, token: string) {
  const attempt = await startAttempt(service.database.db, {
    orderId: order.id,
    buyerId: order.userId,
    amountCents: order.priceCents,
    provider: provider.name,
    idempotencyKey: `${order.id}-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`,
  });
  // This card's charge for the order was settled already: kept as the payment, or given back.
  if (!attempt) throw alreadyPaid();
  return attempt;
}

/** Charges the order's price; the same order and card token always make the same charge. */
async function chargeCard(service: PaymentsService, provider: PaymentProvider, attempt: PaymentAttempt, token: string, log: Logger) {
  let result;
  try {
    result = await provider.charge({
      amountCents: attempt.amountCents,
      currency: 'usd',
      token,
      idempotencyKey: attempt.idempotencyKey,
      attemptId: attempt.id,
      description: `Ticketing order ${attempt.orderId}`,
    });
  } catch (err) {
    // The charge may or may not exist: the attempt stays pending for the resolver (or the buyer's retry).
    log.error({ err, orderId: attempt.orderId, attemptId: attempt.id, provider: provider.name }, 'payment provider failed');
    throw providerUnavailable();
  }
  if (!result.ok) {
    await markAttemptFailed(service.database.db, attempt.id);
    await releaseClaim(service, attempt, log);
    throw badRequest(result.message, 'token');
  }
  return result.chargeId;
}

/**
 * Records the charge as the order's payment, or gives it back when it lost a race or the order
 * ended. A database error here leaves the attempt pending: the resolver settles it.
 */
async function recordOrGiveBack(
  service: PaymentsService,
  provider: PaymentProvider,
  attempt: PaymentAttempt,
  chargeId: string,
  log: Logger,
): Promise<Payment> {
  const settled = await service.transaction((tx) => settleCharge(tx, attempt, chargeId));
  if (settled.outcome === 'recorded') return settled.payment;
  // With the same card the provider gave both requests one charge, and the first recorded it.
  if (settled.outcome === 'already_recorded') throw alreadyPaid();
  // Another card's charge, or the order was cancelled meanwhile: the money goes back now, or
  // (should that fail) by the refund sweeper, the attempt being left refund due.
  await giveBack(service, provider, { kind: 'attempt', id: attempt.id, orderId: attempt.orderId, chargeId }, log);
  throw settled.because === 'cancelled' ? cancelledOrder() : alreadyPaid();
}
