// Every write the orders service makes to its own database (its orders, and its replica of the
// tickets service's tickets), each together with the event it publishes, in the caller's transaction.
import { advisoryLocks, enqueueEvent, isNextVersion, toCents, type Tx } from '@ticketing/common';
import { OrderStatus, type EventPayload } from '@ticketing/contracts';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { orders, tickets, type Order, type Ticket } from './db/schema.js';
import { orderView } from './order-view.js';

/**
 * How many orders `userId` holds unpaid (created or awaiting payment), under a per-buyer lock
 * held to the end of the transaction: two orders placed at once by one buyer count in turn, so
 * together they cannot get past the cap.
 */
export async function countLiveOrders(tx: Tx, userId: string): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(${advisoryLocks.liveOrdersNamespace}, hashtext(${userId}))`);
  const [row] = await tx
    .select({ n: count() })
    .from(orders)
    .where(and(eq(orders.userId, userId), inArray(orders.status, [OrderStatus.Created, OrderStatus.AwaitingPayment])));
  return row!.n;
}

/** A new order, reserving `ticket` until `expiresAt`, and its order.created. */
export async function createOrder(tx: Tx, order: { userId: string; ticket: Ticket; expiresAt: Date }) {
  const { userId, ticket, expiresAt } = order;
  // No "is it free?" query first: the unique index decides, also between racing buyers.
  const [created] = await tx
    .insert(orders)
    .values({ userId, status: OrderStatus.Created, expiresAt, ticketId: ticket.id })
    .returning();
  const view = orderView(created!, ticket);
  await enqueueEvent(tx, 'order.created', {
    id: view.id,
    version: view.version,
    status: view.status,
    userId: view.userId,
    expiresAt: view.expiresAt,
    ticket: { id: ticket.id, price: view.ticket.price },
  });
  return view;
}

/**
 * The order, locked until the transaction ends: DELETE, expiry and payment each lock it
 * first, so they take turns and each sees the status the previous one left.
 */
export async function lockOrder(tx: Tx, id: string): Promise<Order | undefined> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, id)).for('update');
  return order;
}

/** Cancels a locked order (version + 1) and publishes order.cancelled, freeing its ticket. */
export async function cancelOrder(tx: Tx, order: Order) {
  const version = await setStatus(tx, order, OrderStatus.Cancelled);
  await enqueueEvent(tx, 'order.cancelled', { id: order.id, version, ticket: { id: order.ticketId } });
}

/** A locked order whose buyer started paying (version + 1): order.updated tells payments. */
export async function markAwaitingPayment(tx: Tx, order: Order) {
  const status = OrderStatus.AwaitingPayment;
  const version = await setStatus(tx, order, status);
  await enqueueEvent(tx, 'order.updated', { id: order.id, version, status, ticket: { id: order.ticketId } });
}

/** Completes a locked order (version + 1) and publishes order.completed. */
export async function completeOrder(tx: Tx, order: Order) {
  const version = await setStatus(tx, order, OrderStatus.Complete);
  await enqueueEvent(tx, 'order.completed', { id: order.id, version, ticket: { id: order.ticketId } });
}

/**
 * Holds a locked order for payments' charge until `until` (null lets it go). Not a change of the
 * order's state: no version, no event; only cancel and expiry look at it.
 */
export async function setPaymentClaim(tx: Tx, id: string, until: Date | null) {
  await tx.update(orders).set({ paymentClaimedUntil: until }).where(eq(orders.id, id));
}

async function setStatus(tx: Tx, order: Order, status: OrderStatus) {
  const version = order.version + 1;
  await tx.update(orders).set({ status, version }).where(eq(orders.id, order.id));
  return version;
}

/** A new ticket for sale: a replica with the same id and version, so orders can name it. */
export async function replicateTicket(tx: Tx, ticket: EventPayload<'ticket.created'>) {
  await tx
    .insert(tickets)
    .values({ id: ticket.id, title: ticket.title, priceCents: toCents(ticket.price), version: ticket.version })
    // Already replicated (the same event under another id): it changes nothing.
    .onConflictDoNothing();
}

/**
 * A ticket changed: apply it only if it is the next version, so edits arriving out of
 * order end in the right state. Older ones are ignored; newer ones wait (RetryLater).
 */
export async function applyTicketUpdate(tx: Tx, ticket: EventPayload<'ticket.updated'>) {
  const [replica] = await tx.select().from(tickets).where(eq(tickets.id, ticket.id)).for('update');
  if (!isNextVersion(replica, ticket.version, `ticket ${ticket.id}`)) return;
  await tx
    .update(tickets)
    .set({ title: ticket.title, priceCents: toCents(ticket.price), version: ticket.version })
    .where(eq(tickets.id, ticket.id));
}
