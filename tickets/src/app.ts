import { createServiceApp, requireAuth } from '@ticketing/common';
import { Router } from 'express';
import type { TicketsService } from './config.js';
import { PageCache } from './page-cache.js';
import { createTicketRoute } from './routes/create-ticket.js';
import { listTicketsRoute } from './routes/list-tickets.js';
import { showTicketRoute } from './routes/show-ticket.js';
import { updateTicketRoute } from './routes/update-ticket.js';

/** The tickets HTTP app, without listening (tests drive it with supertest): its route table. */
export function createApp(service: TicketsService) {
  const pages = new PageCache(service.notifications);
  const stopListening = pages.listen();
  service.onClose(async () => stopListening());
  const routes = Router()
    .post('/api/tickets', requireAuth, createTicketRoute(service, pages))
    .get('/api/tickets', listTicketsRoute(service, pages))
    .get('/api/tickets/:id', showTicketRoute(service, pages))
    .put('/api/tickets/:id', requireAuth, updateTicketRoute(service, pages));
  return createServiceApp(service, routes);
}
