import { notFound, parseId, userOf } from '@ticketing/common';
import type { RequestHandler } from 'express';
import type { OrdersService } from '../config.js';
import { findOrderView } from '../order-view.js';

/** GET /api/orders/:id: one of the signed-in user's orders. */
export function showOrderRoute(service: OrdersService): RequestHandler {
  return async (req, res) => {
    const id = parseId(req.params.id, 'Order not found');
    const view = await findOrderView(service.database.db, id);
    // Someone else's order is "not found" too: its existence is not theirs to learn.
    if (!view || view.userId !== userOf(req).id) throw notFound('Order not found');
    res.json(view);
  };
}
