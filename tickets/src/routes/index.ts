import type { ServiceContext } from '@ticketing/common';
import { Router } from 'express';
import { createTicketRoute } from './create-ticket.js';
import { listTicketsRoute } from './list-tickets.js';
import { showTicketRoute } from './show-ticket.js';
import { updateTicketRoute } from './update-ticket.js';

export function ticketsRoutes(service: ServiceContext) {
  return Router().use(
    createTicketRoute(service),
    listTicketsRoute(service),
    showTicketRoute(service),
    updateTicketRoute(service),
  );
}
