/**
 * An order's life: `created` while its ticket is held for the buyer, `awaiting:payment` once
 * the buyer has started a payment intent (the payment completes after the request: a card that
 * needs 3-D Secure, a webhook), then `complete` once paid, or `cancelled` by the buyer or on
 * expiry (also while awaiting payment). A complete order is never cancelled, a cancelled one
 * never paid.
 */
export const OrderStatus = {
  Created: 'created',
  Cancelled: 'cancelled',
  AwaitingPayment: 'awaiting:payment',
  Complete: 'complete',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
