import { badRequest, notFound, parseId, userOf } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import type { RequestHandler } from 'express';
import { cancelOrder, lockOrder } from '../changes.js';
import type { OrdersService } from '../config.js';

/** DELETE /api/orders/:id: the buyer gives up a reservation; the ticket is free again. */
export function cancelOrderRoute(service: OrdersService): RequestHandler {
  return async (req, res) => {
    const id = parseId(req.params.id, 'Order not found');
    await service.transaction(async (tx) => {
      const order = await lockOrder(tx, id);
      if (!order || order.userId !== userOf(req).id) throw notFound('Order not found');
      if (order.status === OrderStatus.Complete) throw badRequest('Cannot cancel a completed order');
      // Already cancelled (by the buyer or by expiry): the wish holds, nothing to publish.
      if (order.status === OrderStatus.Cancelled) return;
      await cancelOrder(tx, order);
    });
    res.status(204).end();
  };
}
