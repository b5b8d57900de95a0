import {
  conflict,
  enqueueEvent,
  isUniqueViolation,
  notFound,
  parseBody,
  requireAuth,
  userOf,
} from '@ticketing/common';
import { OrderStatus, type OrderInput } from '@ticketing/contracts';
import { eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { OrdersService } from '../config.js';
import { ONE_LIVE_ORDER_PER_TICKET, orders, tickets } from '../db/schema.js';
import { orderView } from '../order-view.js';

const orderInput = z.object({
  ticketId: z.uuid({
    error: (issue) => (issue.input === undefined ? 'ticketId is required' : 'ticketId must be a valid id'),
  }),
}) satisfies z.ZodType<OrderInput>;

/** POST /api/orders: a signed-in user reserves a ticket until the order expires or is paid. */
export function createOrderRoute(service: OrdersService): RequestHandler {
  return async (req, res) => {
    const { ticketId } = parseBody(req, orderInput);
    const expiresAt = new Date(Date.now() + service.config.EXPIRATION_WINDOW_SECONDS * 1000);
    try {
      const order = await service.transaction(async (tx) => {
        const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId));
        if (!ticket) throw notFound('Ticket not found');
        // No "is it free?" query first: the unique index decides, also between racing buyers.
        const [created] = await tx
          .insert(orders)
          .values({ userId: userOf(req).id, status: OrderStatus.Created, expiresAt, ticketId })
          .returning();
        const view = orderView(created!, ticket);
        await enqueueEvent(tx, 'order.created', {
          id: view.id,
          version: view.version,
          status: view.status,
          userId: view.userId,
          expiresAt: view.expiresAt,
          ticket: { id: ticket.id, price: view.ticket.price },
        });
        return view;
      });
      res.status(201).json(order);
    } catch (err) {
      if (isUniqueViolation(err, ONE_LIVE_ORDER_PER_TICKET)) throw conflict('Ticket is already reserved');
      throw err;
    }
  };
}
