import { badRequest, forbidden, notFound, parseBody, parseId, userOf, type ServiceContext } from '@ticketing/common';
import type { RequestHandler } from 'express';
import { editTicket, lockTicket } from '../changes.js';
import { ticketInput } from '../inputs.js';
import type { PageCache } from '../page-cache.js';

/** PUT /api/tickets/:id: the owner edits a ticket that no order holds. */
export function updateTicketRoute(service: ServiceContext, pages: PageCache): RequestHandler {
  return async (req, res) => {
    const id = parseId(req.params.id, 'Ticket not found');
    const { title, price } = parseBody(req, ticketInput);
    const ticket = await service.transaction(async (tx) => {
      // Locked so a reservation arriving now waits for this edit (and sees its version).
      const current = await lockTicket(tx, id);
      if (!current) throw notFound('Ticket not found');
      if (current.userId !== userOf(req).id) throw forbidden('You do not own this ticket');
      if (current.soldAt) throw badRequest('Cannot edit a sold ticket');
      if (current.orderId) throw badRequest('Cannot edit a reserved ticket');
      return editTicket(tx, current, { title, price });
    });
    pages.clear(); // the owner's next read shows the edit, before the commit's notification arrives
    res.json(ticket);
  };
}
