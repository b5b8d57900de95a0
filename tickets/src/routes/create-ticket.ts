import { randomUUID } from 'node:crypto';
import { enqueueEvent, parseBody, toCents, userOf, type ServiceContext } from '@ticketing/common';
import type { RequestHandler } from 'express';
import { tickets } from '../db/schema.js';
import { ticketView } from '../ticket-view.js';
import { ticketInput } from './ticket-input.js';

/** POST /api/tickets: a signed-in user puts a ticket up for sale. */
export function createTicketRoute(service: ServiceContext): RequestHandler {
  return async (req, res) => {
    const { title, price } = parseBody(req, ticketInput);
    const ticket = await service.transaction(async (tx) => {
      const [created] = await tx
        .insert(tickets)
        .values({ id: randomUUID(), title, priceCents: toCents(price), userId: userOf(req).id })
        .returning();
      const view = ticketView(created!);
      await enqueueEvent(tx, 'ticket.created', {
        id: view.id,
        version: view.version,
        title: view.title,
        price: view.price,
        userId: view.userId,
      });
      return view;
    });
    res.status(201).json(ticket);
  };
}
