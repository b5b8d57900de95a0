import { defineListener } from '@ticketing/common';
import { applyTicketUpdate } from '../changes.js';

/** A ticket changed (its title or price, or who holds it): the replica follows, in version order. */
export const ticketUpdatedListener = defineListener('ticket.updated', async (ticket, { tx }) => {
  await applyTicketUpdate(tx, ticket);
});
