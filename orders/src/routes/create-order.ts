import { conflict, isUniqueViolation, notFound, parseBody, userOf } from '@ticketing/common';
import { OrderStatus } from '@ticketing/contracts';
import { and, eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { countLiveOrders, createOrder } from '../changes.js';
import type { OrdersService } from '../config.js';
import { ONE_LIVE_ORDER_PER_TICKET, orders, tickets } from '../db/schema.js';
import { orderInput } from '../inputs.js';

/** POST /api/orders: a signed-in user reserves a ticket until the order expires or is paid. */
export function createOrderRoute(service: OrdersService): RequestHandler {
  return async (req, res) => {
    const { ticketId } = parseBody(req, orderInput);
    const expiresAt = new Date(Date.now() + service.config.EXPIRATION_WINDOW_SECONDS * 1000);
    try {
      const order = await service.transaction(async (tx) => {
        const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId));
        if (!ticket) throw notFound('Ticket not found');
        const userId = userOf(req).id;
        if ((await countLiveOrders(tx, userId)) >= service.config.MAX_LIVE_ORDERS_PER_USER) {
          throw conflict('Too many orders awaiting payment; pay for or cancel one first');
        }
        return createOrder(tx, { userId, ticket, expiresAt });
      });
      res.status(201).json(order);
    } catch (err) {
      if (isUniqueViolation(err, ONE_LIVE_ORDER_PER_TICKET)) {
        throw conflict((await sold(service, ticketId)) ? 'Ticket is already sold' : 'Ticket is already reserved');
      }
      throw err;
    }
  };
}

/** Whether the order holding the ticket is paid: the buyer is told it is sold, not just reserved. */
async function sold(service: OrdersService, ticketId: string): Promise<boolean> {
  const [paid] = await service.database.db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.ticketId, ticketId), eq(orders.status, OrderStatus.Complete)));
  return paid !== undefined;
}
