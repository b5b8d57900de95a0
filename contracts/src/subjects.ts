/** The seven subjects, in the order of a purchase. Each has one payload schema in events.ts. */
export const subjects = [
  'ticket.created',
  'ticket.updated',
  'order.created',
  'order.cancelled',
  'order.completed',
  'expiration.complete',
  'payment.created',
] as const;
export type Subject = (typeof subjects)[number];
