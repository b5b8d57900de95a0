import { defineListener } from '@ticketing/common';
import { replicateTicket } from '../changes.js';

/** A new ticket for sale: keep a replica (same id and version) so orders can name it. */
export const ticketCreatedListener = defineListener('ticket.created', async (ticket, { tx }) => {
  await replicateTicket(tx, ticket);
});
