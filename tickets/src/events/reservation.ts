import { enqueueEvent, type Tx } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import { tickets, type Ticket } from '../db/schema.js';
import { ticketView } from '../ticket-view.js';

/** Sets or clears the order holding a ticket: version + 1 and a ticket.updated for replicas. */
export async function setReservation(tx: Tx, ticket: Ticket, orderId: string | null) {
  const [updated] = await tx
    .update(tickets)
    .set({ orderId, version: ticket.version + 1 })
    .where(eq(tickets.id, ticket.id))
    .returning();
  await enqueueEvent(tx, 'ticket.updated', ticketView(updated!));
}

export async function lockTicket(tx: Tx, id: string): Promise<Ticket | undefined> {
  const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
  return ticket;
}
