import {
  badRequest,
  enqueueEvent,
  forbidden,
  notFound,
  parseBody,
  parseId,
  requireAuth,
  toCents,
  userOf,
  type ServiceContext,
} from '@ticketing/common';
import { eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { tickets } from '../db/schema.js';
import { ticketView } from '../ticket-view.js';
import { ticketInput } from './ticket-input.js';

/** PUT /api/tickets/:id: the owner edits a ticket that no order holds. */
export function updateTicketRoute(service: ServiceContext): RequestHandler {
  return async (req, res) => {
    const id = parseId(req.params.id, 'Ticket not found');
    const { title, price } = parseBody(req, ticketInput);
    const ticket = await service.transaction(async (tx) => {
      // Locked so a reservation arriving now waits for this edit (and sees its version).
      const [current] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
      if (!current) throw notFound('Ticket not found');
      if (current.userId !== userOf(req).id) throw forbidden('You do not own this ticket');
      if (current.orderId) throw badRequest('Cannot edit a reserved ticket');
      const [updated] = await tx
        .update(tickets)
        .set({ title, priceCents: toCents(price), version: current.version + 1 })
        .where(eq(tickets.id, id))
        .returning();
      const view = ticketView(updated!);
      await enqueueEvent(tx, 'ticket.updated', view);
      return view;
    });
    res.json(ticket);
  };
}
