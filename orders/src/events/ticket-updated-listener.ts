import { defineListener, isNextVersion, toCents } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import { tickets } from '../db/schema.js';

/**
 * A ticket changed: apply it only if it is the next version, so edits arriving out of
 * order end in the right state. Older ones are ignored; newer ones wait (RetryLater).
 */
export const ticketUpdatedListener = defineListener('ticket.updated', async (ticket, { tx }) => {
  const [replica] = await tx.select().from(tickets).where(eq(tickets.id, ticket.id)).for('update');
  if (!isNextVersion(replica, ticket.version, `ticket ${ticket.id}`)) return;
  await tx
    .update(tickets)
    .set({ title: ticket.title, priceCents: toCents(ticket.price), version: ticket.version })
    .where(eq(tickets.id, ticket.id));
});
