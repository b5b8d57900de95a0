import { defineListener, PermanentFailure, RetryLater } from '@ticketing/common';
import { eq } from 'drizzle-orm';
import { lockTicket, sellTicket, setReservation } from '../changes.js';
import { cancelledOrders, completedOrders } from '../db/schema.js';

/** A new order reserves its ticket, so it is no longer listed or editable. */
export const orderCreatedListener = defineListener(
  'order.created',
  async (order, { tx, log }) => {
    const ticket = await lockTicket(tx, order.ticket.id);
    if (!ticket) throw new PermanentFailure(`ticket ${order.ticket.id} not found`);
    if (ticket.orderId === order.id) return;
    const [cancelled] = await tx.select().from(cancelledOrders).where(eq(cancelledOrders.orderId, order.id));
    if (cancelled) {
      log.info({ orderId: order.id }, 'order already cancelled; ticket not reserved');
      return;
    }
    // The previous holder's order.cancelled may not have been handled yet.
    if (ticket.orderId) throw new RetryLater(`ticket ${ticket.id} still held by order ${ticket.orderId}`);
    // Its order.completed may have been handled first: then the ticket is sold, not just reserved.
    const [completed] = await tx.select().from(completedOrders).where(eq(completedOrders.orderId, order.id));
    if (completed) await sellTicket(tx, ticket, order.id);
    else await setReservation(tx, ticket, order.id);
  },
  // The record it changes here is the ticket: two orders' events for one ticket take turns.
  { key: (order) => order.ticket.id },
);
