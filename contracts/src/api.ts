import type { OrderStatus } from './order-status.ts';
import type { TicketStatus } from './ticket-status.ts';

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
  /** The order holding this ticket (the one that bought it, once sold), or null when it is for sale. */
  orderId: string | null;
  status: TicketStatus;
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

/**
 * POST /api/payments/intents takes an order and answers the order's one payment intent, new
 * (201) or resumed (200): what the client needs to confirm it (Stripe's Payment Element, or
 * the sandbox form) and where it stands.
 */
export type PaymentIntentInput = { orderId: string };
export type PaymentIntentStatus = 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';
export type PaymentIntent = {
  orderId: string;
  provider: 'stripe' | 'sandbox';
  clientSecret: string;
  status: PaymentIntentStatus;
  /** Dollars, like every price. */
  amount: number;
  currency: 'usd';
  /** Why the last payment method failed (a declined card), for the buyer; null otherwise. */
  lastError: string | null;
};

/** The sandbox's test payment methods (Stripe's names): POST /api/payments/sandbox/confirm takes one. */
export const SANDBOX_PAYMENT_METHODS = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired'] as const;
export type SandboxPaymentMethod = (typeof SANDBOX_PAYMENT_METHODS)[number];
export type SandboxConfirmInput = { clientSecret: string; paymentMethod: SandboxPaymentMethod };
/** POST /api/payments/sandbox/authenticate: the sandbox's 3-D Secure challenge, passed or failed. */
export type SandboxAuthenticateInput = { clientSecret: string; outcome: 'complete' | 'fail' };
/** What both sandbox routes answer: the intent's new status, and why it failed if it did. */
export type SandboxIntentResult = { status: PaymentIntentStatus; lastError: string | null };

/** Every 4xx and 5xx answers an ErrorBody; `field` names the request field at fault, if one is. */
export type ApiError = { message: string; field?: string };
export type ErrorBody = { errors: ApiError[] };
