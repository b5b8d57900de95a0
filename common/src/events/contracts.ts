import { z } from 'zod';
import { priceSchema } from '../http/money.js';

/**
 * The event contract of DESIGN.md §4, defined once. Publishers validate what they write to
 * the outbox and listeners validate what they receive against these schemas.
 * Money is dollars (as in the HTTP API); ids are UUIDs.
 */
const id = z.uuid();
const version = z.number().int().nonnegative();
// Dollars with at most 2 decimals, as the HTTP API takes them.
const price = priceSchema;
const orderStatus = z.enum(['created', 'cancelled', 'awaiting:payment', 'complete']);

export const eventSchemas = {
  'ticket.created': z.object({ id, version, title: z.string(), price, userId: id }),
  'ticket.updated': z.object({
    id,
    version,
    title: z.string(),
    price,
    userId: id,
    orderId: id.nullable(),
  }),
  'order.created': z.object({
    id,
    version,
    status: orderStatus,
    userId: id,
    expiresAt: z.iso.datetime({ offset: true }),
    ticket: z.object({ id, price }),
  }),
  'order.cancelled': z.object({ id, version, ticket: z.object({ id }) }),
  'order.completed': z.object({ id, version, ticket: z.object({ id }) }),
  'expiration.complete': z.object({ orderId: id }),
  'payment.created': z.object({ id, orderId: id, chargeId: z.string().min(1) }),
} as const;

export type Subject = keyof typeof eventSchemas;
export type EventPayload<S extends Subject> = z.infer<(typeof eventSchemas)[S]>;
export const subjects = Object.keys(eventSchemas) as Subject[];

export const OrderStatus = {
  Created: 'created',
  Cancelled: 'cancelled',
  AwaitingPayment: 'awaiting:payment',
  Complete: 'complete',
} as const satisfies Record<string, z.infer<typeof orderStatus>>;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** Subjects whose handling failed for good are republished under this prefix. */
export const DEAD_LETTER_PREFIX = 'deadletter';

/** The stream's subject filters: every family above plus the dead letters. */
export const streamSubjectFilters = [
  ...new Set(subjects.map((s) => `${s.split('.')[0]}.*`)),
  `${DEAD_LETTER_PREFIX}.>`,
];
