import { notFound, parseId, type ServiceContext } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { tickets } from '../db/schema.js';
import { ticketView } from '../ticket-view.js';

/** GET /api/tickets/:id: any ticket, reserved or not. */
export function showTicketRoute(service: ServiceContext): RequestHandler {
  return async (req, res) => {
    const id = parseId(req.params.id, 'Ticket not found');
    const [ticket] = await service.database.db.select().from(tickets).where(eq(tickets.id, id));
    if (!ticket) throw notFound('Ticket not found');
    res.json(ticketView(ticket));
  };
}
