import { toDollars } from '@ticketing/common';
import type * as api from '@ticketing/contracts';
import type { Order, Ticket } from './db/schema.js';

/** An order as the API shows it: with its ticket, price in dollars, expiry as an ISO string. */
export function orderView(order: Order, ticket: Ticket): api.Order {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    version: order.version,
    ticket: { id: ticket.id, title: ticket.title, price: toDollars(ticket.priceCents) },
  };
}
