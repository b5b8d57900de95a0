import { z } from 'zod';
import { priceSchema } from './money.ts';
import { OrderStatus } from './order-status.ts';
import type { Subject } from './subjects.ts';
import { TicketStatus } from './ticket-status.ts';

/**
 * The events of docs/design.md §4: what each service announces about its own data. Publishers
 * validate what they write to the outbox against these schemas, listeners what they receive.
 * Ids are UUIDs; `version` is the record's version, bumped by every change (replicas apply
 * only the next one).
 */
const id = z.uuid();
const version = z.number().int().nonnegative();
const price = priceSchema;
const status = z.enum(OrderStatus);

export const eventSchemas = {
  /** tickets, on create */
  'ticket.created': z.object({ id, version, title: z.string(), price, userId: id }),
  /** tickets, on edit, reserve (`orderId` set), release (`orderId` null) and sale (`status` sold) */
  'ticket.updated': z.object({
    id,
    version,
    title: z.string(),
    price,
    userId: id,
    orderId: id.nullable(),
    // Tickets always sends it; optional so that one published before it existed (still in the
    // stream, or from a replica not yet updated) is not poison to the replicas, which ignore it.
    status: z.enum(TicketStatus).optional(),
  }),
  /** orders, on create */
  'order.created': z.object({
    id,
    version,
    status,
    userId: id,
    expiresAt: z.iso.datetime({ offset: true }),
    ticket: z.object({ id, price }),
  }),
  /** payments, when a buyer starts paying an order through a payment intent (once per order) */
  'payment.started': z.object({ id, orderId: id }),
  /** orders, when a payment started (status `awaiting:payment`) */
  'order.updated': z.object({ id, version, status, ticket: z.object({ id }) }),
  /** orders, on cancel or expiry */
  'order.cancelled': z.object({ id, version, ticket: z.object({ id }) }),
  /** orders, when its payment arrives */
  'order.completed': z.object({ id, version, ticket: z.object({ id }) }),
  /** expiration, when an order's time is up */
  'expiration.complete': z.object({ orderId: id }),
  /** payments, on a successful charge */
  'payment.created': z.object({ id, orderId: id, chargeId: z.string().min(1) }),
  /** auth, on sign-out (one session) and sign-out everywhere (one event per session): `id` is the
   * token's `jti`; services refuse it until `expiresAt`, when the token would lapse anyway */
  'session.revoked': z.object({ id, userId: id, expiresAt: z.iso.datetime({ offset: true }) }),
} as const satisfies Record<Subject, z.ZodType>;

export type EventPayload<S extends Subject> = z.infer<(typeof eventSchemas)[S]>;
