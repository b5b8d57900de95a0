/**
 * An order's life: `created` while its ticket is held for the buyer, then `complete` once
 * paid, or `cancelled` by the buyer or on expiry. A complete order is never cancelled, a
 * cancelled one never paid. `awaiting:payment` is reserved for a payment that completes after
 * the request (no flow sets it yet; docs/design.md §3 says why it is in the contract).
 */
export const OrderStatus = {
  Created: 'created',
  Cancelled: 'cancelled',
  AwaitingPayment: 'awaiting:payment',
  Complete: 'complete',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
