import type { OrderStatus } from './order-status.ts';

/**
 * The HTTP API of docs/design.md §3, as JSON on the wire: what each route takes and answers.
 * Ids are UUIDs, money is dollars, times are ISO 8601 strings. The services validate request
 * bodies with their own schemas (each route's messages and normalising, like lower-cased
 * emails, are its own); these types are what those schemas produce and what clients send.
 */

/** POST /api/users/signup and /signin take credentials and answer the user; GET /currentuser answers `{ currentUser }`. */
export type Credentials = { email: string; password: string };
export type User = { id: string; email: string };
export type CurrentUserResponse = { currentUser: User | null };

/** POST and PUT /api/tickets take a TicketInput; they and GET /api/tickets(/:id) answer tickets. */
export type TicketInput = { title: string; price: number };
export type Ticket = {
  id: string;
  title: string;
  price: number;
  userId: string;
  version: number;
  /** The order holding this ticket, or null when it is for sale. */
  orderId: string | null;
};

/** POST /api/orders takes an OrderInput; it and GET /api/orders(/:id) answer orders. */
export type OrderInput = { ticketId: string };
export type Order = {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: string;
  version: number;
  ticket: { id: string; title: string; price: number };
};

/** POST /api/payments takes a card token for an order and answers the payment. */
export type PaymentInput = { orderId: string; token: string };
export type Payment = { id: string; orderId: string };

/** Every 4xx and 5xx answers an ErrorBody; `field` names the request field at fault, if one is. */
export type ApiError = { message: string; field?: string };
export type ErrorBody = { errors: ApiError[] };
