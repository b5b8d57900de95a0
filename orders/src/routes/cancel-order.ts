import { badRequest, conflict, notFound, parseId, userOf } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import type { RequestHandler } from 'express';
import { cancelOrder, lockOrder } from '../changes.js';
import type { OrdersService } from '../config.js';
import { paymentClaimHolds } from '../payment-claims.js';

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
      // A charge is under way: cancelling now could take the money for a cancelled order.
      if (paymentClaimHolds(order)) throw conflict('A payment for this order is in progress; try again in a moment');
      await cancelOrder(tx, order);
    });
    res.status(204).end();
  };
}
