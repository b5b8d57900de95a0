import { defineListener, PermanentFailure } from '@ticketing/common';
import { lockTicket, recordCancelledOrder, setReservation } from '../changes.js';

/** A cancelled (or expired) order frees its ticket for other buyers. */
export const orderCancelledListener = defineListener(
  'order.cancelled',
  async (order, { tx }) => {
    await recordCancelledOrder(tx, order.id);
    const ticket = await lockTicket(tx, order.ticket.id);
    if (!ticket) throw new PermanentFailure(`ticket ${order.ticket.id} not found`);
    // Only the holding order may free it; a stale cancel of an older order changes nothing,
    // and a sold ticket is never freed (a complete order is never cancelled).
    if (ticket.orderId !== order.id || ticket.soldAt) return;
    await setReservation(tx, ticket, null);
  },
  // The record it changes here is the ticket: two orders' events for one ticket take turns.
  { key: (order) => order.ticket.id },
);
