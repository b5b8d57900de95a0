/**
 * A ticket's life: `available` while no order holds it, `reserved` while an order does, `sold`
 * once that order completed. A sold ticket keeps its order and is for good: never freed, edited
 * or ordered again.
 */
export const TicketStatus = {
  Available: 'available',
  Reserved: 'reserved',
  Sold: 'sold',
} as const;
export type TicketStatus = (typeof TicketStatus)[keyof typeof TicketStatus];
