import { toDollars, type Db } from '@ticketing/common';
import type * as api from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import { orders, tickets, type Order, type Ticket } from './db/schema.js';

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

/**
 * The order `id` as GET /api/orders/:id shows it, whoever's it is: the caller compares
 * `userId` with the signed-in buyer's. Undefined when there is no such order.
 */
export async function findOrderView(db: Db, id: string): Promise<api.Order | undefined> {
  const [row] = await db.select().from(orders).innerJoin(tickets, eq(orders.ticketId, tickets.id)).where(eq(orders.id, id));
  return row && orderView(row.orders, row.tickets);
}
