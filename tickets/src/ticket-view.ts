import { toDollars } from '@ticketing/common';
import { TicketStatus, type Ticket as ApiTicket } from '@ticketing/contracts';
import type { Ticket } from './db/schema.js';

/** A ticket as the API and the events show it: price in dollars, and where it stands. */
export function ticketView(t: Ticket): ApiTicket {
  return {
    id: t.id,
    title: t.title,
    price: toDollars(t.priceCents),
    userId: t.userId,
    version: t.version,
    orderId: t.orderId,
    status: t.soldAt ? TicketStatus.Sold : t.orderId ? TicketStatus.Reserved : TicketStatus.Available,
  };
}
