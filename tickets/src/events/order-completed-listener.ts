import { defineListener, PermanentFailure } from '@ticketing/common';
import { lockTicket, recordCompletedOrder, sellTicket } from '../changes.js';

/** A completed (paid) order sells its ticket: it stays taken for good, and says so. */
export const orderCompletedListener = defineListener(
  'order.completed',
  async (order, { tx }) => {
    await recordCompletedOrder(tx, order.id);
    const ticket = await lockTicket(tx, order.ticket.id);
    if (!ticket) throw new PermanentFailure(`ticket ${order.ticket.id} not found`);
    // Only the holding order sells it. One that does not hold it changes nothing; if that is
    // because its order.created has not been handled yet, that one sells the ticket then.
    if (ticket.orderId !== order.id || ticket.soldAt) return;
    await sellTicket(tx, ticket, order.id);
  },
  // The record it changes here is the ticket: two orders' events for one ticket take turns.
  { key: (order) => order.ticket.id },
);
