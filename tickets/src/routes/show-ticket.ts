import { notFound, parseId, type ServiceContext } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import { tickets } from '../db/schema.js';
import { sendPage, type PageCache } from '../page-cache.js';
import { ticketView } from '../ticket-view.js';

/** GET /api/tickets/:id: any ticket, reserved or not, served from `pages` until a ticket changes. */
export function showTicketRoute(service: ServiceContext, pages: PageCache): RequestHandler {
  const read = async (id: string) => {
    const [ticket] = await service.database.db.select().from(tickets).where(eq(tickets.id, id));
    if (!ticket) throw notFound('Ticket not found');
    return { body: ticketView(ticket) };
  };
  return async (req, res) => {
    const id = parseId(req.params.id, 'Ticket not found');
    sendPage(res, await pages.page(`ticket:${id}`, () => read(id)));
  };
}
