import { ask, type Logger } from '@ticketing/common';
import { paymentClaimReplySchema, requestSubjects, type PaymentClaimRequest } from '@ticketing/contracts';
import type { PaymentsService } from './config.js';
import { alreadyPaid, cancelledOrder, expiredOrder, orderNotFound, ordersUnavailable } from './refusals.js';

/** How long a question to orders may take before the buyer is told to try again. */
const ANSWER_WITHIN_MS = 2000;

type Ask = Omit<PaymentClaimRequest, 'holdSeconds'>;

/**
 * Asks the orders service, which owns the order, whether it may be paid now (docs/design.md §4,
 * Requests): this service's replica may trail it, by a cancel a moment ago or by the order itself.
 * `claim` also holds the order for the charge: until it is let go, or PAYMENT_CLAIM_SECONDS
 * pass, the buyer's cancel answers 409 and expiry waits, so the money is never taken for an
 * order cancelled meanwhile. Throws the HTTP error the buyer gets otherwise.
 */
export async function askOrders(service: PaymentsService, request: Ask): Promise<void> {
  const holdSeconds = request.action === 'claim' ? service.config.PAYMENT_CLAIM_SECONDS : undefined;
  let reply;
  try {
    reply = await ask(service.bus, requestSubjects.paymentClaim, { ...request, holdSeconds }, paymentClaimReplySchema, ANSWER_WITHIN_MS);
  } catch {
    throw ordersUnavailable();
  }
  switch (reply.outcome) {
    case 'granted':
      return;
    case 'not_found':
      throw orderNotFound();
    case 'cancelled':
      throw cancelledOrder();
    case 'paid':
      throw alreadyPaid();
    case 'expired':
      throw expiredOrder();
  }
}

/** Lets go of a claim whose charge did not happen (a declined card), so the buyer may cancel at once; the hold's end does it otherwise. */
export async function releaseClaim(service: PaymentsService, { orderId, buyerId }: { orderId: string; buyerId: string }, log: Logger) {
  await askOrders(service, { action: 'release', orderId, buyerId }).catch((err: unknown) =>
    log.warn({ err, orderId }, 'could not let go of the payment claim; it lapses by itself'),
  );
}
