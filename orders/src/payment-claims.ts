import { answerRequests, type Tx, type Worker } from '@ticketing/common';
import {
  OrderStatus,
  paymentClaimRequestSchema,
  requestSubjects,
  type PaymentClaimReply,
  type PaymentClaimRequest,
} from '@ticketing/contracts';
import { lockOrder, setPaymentClaim } from './changes.js';
import type { OrdersService } from './config.js';
import type { Order } from './db/schema.js';

/** A claim asked without `holdSeconds` holds this long. */
export const DEFAULT_CLAIM_HOLD_SECONDS = 60;

/** True while payments holds the order for a charge: the buyer's cancel and expiry wait. */
export const paymentClaimHolds = (order: Pick<Order, 'paymentClaimedUntil'>, now = new Date()) =>
  order.paymentClaimedUntil !== null && order.paymentClaimedUntil > now;

/**
 * Answers payments' `orders.payment-claim` (docs/design.md §4, Requests) from the order as it is now,
 * locked like DELETE and expiry lock it: whichever comes first, the other sees what it left.
 */
export function paymentClaims(service: OrdersService): Worker {
  return answerRequests(service, requestSubjects.paymentClaim, paymentClaimRequestSchema, (request) =>
    service.transaction((tx) => decideClaim(tx, request)),
  );
}

async function decideClaim(tx: Tx, { action, orderId, buyerId, holdSeconds }: PaymentClaimRequest): Promise<PaymentClaimReply> {
  const order = await lockOrder(tx, orderId);
  // Someone else's order is "not found" to them, as in the HTTP API.
  if (!order || order.userId !== buyerId) return { outcome: 'not_found' };
  if (action === 'release') {
    if (order.paymentClaimedUntil) await setPaymentClaim(tx, order.id, null);
    return { outcome: 'granted' };
  }
  if (order.status === OrderStatus.Cancelled) return { outcome: 'cancelled' };
  if (order.status === OrderStatus.Complete) return { outcome: 'paid' };
  // Past its deadline but not yet cancelled (expiry is on its way): too late to pay.
  if (order.expiresAt <= new Date()) return { outcome: 'expired' };
  if (action === 'claim') {
    await setPaymentClaim(tx, order.id, new Date(Date.now() + (holdSeconds ?? DEFAULT_CLAIM_HOLD_SECONDS) * 1000));
  }
  return { outcome: 'granted' };
}
