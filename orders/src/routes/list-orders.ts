import { userOf } from '@ticketing/common';
import { desc, eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import type { OrdersService } from '../config.js';
import { orders, tickets } from '../db/schema.js';
import { orderView } from '../order-view.js';

/** GET /api/orders: the signed-in user's orders, newest first, each with its ticket. */
export function listOrdersRoute(service: OrdersService): RequestHandler {
  return async (req, res) => {
    const rows = await service.database.db
      .select()
      .from(orders)
      .innerJoin(tickets, eq(orders.ticketId, tickets.id))
      .where(eq(orders.userId, userOf(req).id))
      .orderBy(desc(orders.seq));
    res.json(rows.map((r) => orderView(r.orders, r.tickets)));
  };
}
