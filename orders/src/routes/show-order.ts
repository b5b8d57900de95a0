import { notFound, parseId, userOf } from '@ticketing/common';
import { and, eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import type { OrdersService } from '../config.js';
import { orders, tickets } from '../db/schema.js';
import { orderView } from '../order-view.js';

/** GET /api/orders/:id: one of the signed-in user's orders. */
export function showOrderRoute(service: OrdersService): RequestHandler {
  return async (req, res) => {
    const id = parseId(req.params.id, 'Order not found');
    const [row] = await service.database.db
      .select()
      .from(orders)
      .innerJoin(tickets, eq(orders.ticketId, tickets.id))
      // Someone else's order is "not found" too: its existence is not theirs to learn.
      .where(and(eq(orders.id, id), eq(orders.userId, userOf(req).id)));
    if (!row) throw notFound('Order not found');
    res.json(orderView(row.orders, row.tickets));
  };
}
