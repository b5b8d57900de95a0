import { consumerName } from './bus.ts';
import type { RequestSubject } from './requests.ts';
import type { Subject } from './subjects.ts';

/**
 * Who may do what on the bus: the one source of NATS's permissions (devkit renders the server's
 * configuration from it, for `npm start`, the tests and Kubernetes). A service publishes only the
 * events about its own data and consumes only what it listens to, asks only the requests it
 * needs and answers only its own; docs/design.md §4 says the same.
 */
export const busAccess = {
  auth: { publishes: ['session.revoked'], consumes: [], asks: [], answers: [] },
  tickets: {
    publishes: ['ticket.created', 'ticket.updated'],
    consumes: ['order.created', 'order.cancelled', 'order.completed', 'session.revoked'],
    asks: [],
    answers: [],
  },
  orders: {
    publishes: ['order.created', 'order.updated', 'order.cancelled', 'order.completed'],
    consumes: ['ticket.created', 'ticket.updated', 'expiration.complete', 'payment.started', 'payment.created', 'session.revoked'],
    asks: [],
    answers: ['orders.payment-claim'],
  },
  expiration: { publishes: ['expiration.complete'], consumes: ['order.created'], asks: [], answers: [] },
  payments: {
    publishes: ['payment.started', 'payment.created'],
    consumes: ['order.created', 'order.updated', 'order.cancelled', 'order.completed', 'session.revoked'],
    asks: ['orders.payment-claim'],
    answers: [],
  },
} as const satisfies Record<
  string,
  { publishes: readonly Subject[]; consumes: readonly Subject[]; asks: readonly RequestSubject[]; answers: readonly RequestSubject[] }
>;

export type BusService = keyof typeof busAccess;

/** A service's durable consumers, one per subject it consumes (`orders-ticket-updated`, ...). */
export const durablesOf = (service: BusService): string[] =>
  busAccess[service].consumes.map((subject) => consumerName(service, subject));
