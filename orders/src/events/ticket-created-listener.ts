import { defineListener, toCents } from '@ticketing/common';
import { tickets } from '../db/schema.js';

/** A new ticket for sale: keep a replica (same id and version) so orders can name it. */
export const ticketCreatedListener = defineListener('ticket.created', async (ticket, { tx }) => {
  await tx
    .insert(tickets)
    .values({ id: ticket.id, title: ticket.title, priceCents: toCents(ticket.price), version: ticket.version })
    // Already replicated (the same event under another id): it changes nothing.
    .onConflictDoNothing();
});
