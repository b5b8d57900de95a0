import { parseBody, userOf, type ServiceContext } from '@ticketing/common';
import type { RequestHandler } from 'express';
import { createTicket } from '../changes.js';
import { ticketInput } from '../inputs.js';
import type { PageCache } from '../page-cache.js';

/** POST /api/tickets: a signed-in user puts a ticket up for sale. */
export function createTicketRoute(service: ServiceContext, pages: PageCache): RequestHandler {
  return async (req, res) => {
    const { title, price } = parseBody(req, ticketInput);
    const ticket = await service.transaction((tx) => createTicket(tx, { title, price, userId: userOf(req).id }));
    pages.clear(); // the seller's next read lists it, before the commit's notification arrives
    res.status(201).json(ticket);
  };
}
