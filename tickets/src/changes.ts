// Every write the tickets service makes to its own database (its tickets, and the orders it knows
// are cancelled or complete), each together with the event it publishes, in the caller's transaction.
import { enqueueEvent, toCents, type Tx } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import { cancelledOrders, completedOrders, tickets, type Ticket } from './db/schema.js';
import { ticketView } from './ticket-view.js';

/** A new ticket for sale, and its ticket.created for the other services' replicas. */
export async function createTicket(tx: Tx, ticket: { title: string; price: number; userId: string }) {
  const [created] = await tx
    .insert(tickets)
    .values({ title: ticket.title, priceCents: toCents(ticket.price), userId: ticket.userId })
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
}

/** The ticket, locked until the transaction ends: edits and reservations take turns. */
export async function lockTicket(tx: Tx, id: string): Promise<Ticket | undefined> {
  const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
  return ticket;
}

/** The owner's edit of a locked ticket. */
export function editTicket(tx: Tx, ticket: Ticket, edit: { title: string; price: number }) {
  return changeTicket(tx, ticket, { title: edit.title, priceCents: toCents(edit.price) });
}

/** Sets or clears the order holding a locked ticket. */
export function setReservation(tx: Tx, ticket: Ticket, orderId: string | null) {
  return changeTicket(tx, ticket, { orderId });
}

/** Sells a locked ticket to the order that completed, reserving it first if it was not yet. */
export function sellTicket(tx: Tx, ticket: Ticket, orderId: string) {
  return changeTicket(tx, ticket, { orderId, soldAt: new Date() });
}

/** Every change to a ticket: version + 1 and a ticket.updated for replicas. */
async function changeTicket(
  tx: Tx,
  ticket: Ticket,
  change: Partial<Pick<Ticket, 'title' | 'priceCents' | 'orderId' | 'soldAt'>>,
) {
  const [updated] = await tx
    .update(tickets)
    .set({ ...change, version: ticket.version + 1 })
    .where(eq(tickets.id, ticket.id))
    .returning();
  const view = ticketView(updated!);
  await enqueueEvent(tx, 'ticket.updated', view);
  return view;
}

/** Remembers that an order is over, for an order.created that arrives after it. */
export async function recordCancelledOrder(tx: Tx, orderId: string) {
  await tx.insert(cancelledOrders).values({ orderId }).onConflictDoNothing();
}

/** Remembers that an order completed, for an order.created that arrives after it. */
export async function recordCompletedOrder(tx: Tx, orderId: string) {
  await tx.insert(completedOrders).values({ orderId }).onConflictDoNothing();
}
