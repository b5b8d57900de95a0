import { z } from 'zod';

/**
 * The requests of docs/design.md §4 (Requests): a question one service answers for another at once, over
 * NATS request-reply. Not events: nothing is stored, and a request no replica answers fails.
 * Their subjects stay outside the stream's (`order.*`...), so JetStream never captures one.
 *
 * `orders.payment-claim` (payments asks, orders answers): payments may charge an order only
 * under a claim that orders granted on the order's current state, so a cancelled order is
 * never charged however far payments' replica trails. `claim` holds the order for the charge
 * (cancel and expiry wait) until `release` or `holdSeconds` pass; `check` only asks.
 */
export const requestSubjects = { paymentClaim: 'orders.payment-claim' } as const;
export type RequestSubject = (typeof requestSubjects)[keyof typeof requestSubjects];

const id = z.uuid();

export const paymentClaimRequestSchema = z.object({
  action: z.enum(['claim', 'check', 'release']),
  orderId: id,
  buyerId: id,
  /** How long a claim holds, in seconds: the charge's longest time (payments' provider timeouts). */
  holdSeconds: z.number().int().min(1).max(300).optional(),
});
export type PaymentClaimRequest = z.infer<typeof paymentClaimRequestSchema>;

/** `granted`: claimed, still payable, or released; anything else says why the order cannot be paid. */
export const paymentClaimReplySchema = z.object({
  outcome: z.enum(['granted', 'not_found', 'cancelled', 'paid', 'expired']),
});
export type PaymentClaimReply = z.infer<typeof paymentClaimReplySchema>;
