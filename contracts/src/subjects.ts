/**
 * The ten subjects: the nine of a purchase, in its order, then auth's session revocations.
 * Each has one payload schema in events.ts.
 */
export const subjects = [
  'ticket.created',
  'ticket.updated',
  'order.created',
  'payment.started',
  'order.updated',
  'order.cancelled',
  'order.completed',
  'expiration.complete',
  'payment.created',
  'session.revoked',
] as const;
export type Subject = (typeof subjects)[number];
