import { toDollars } from '@ticketing/common';
import type * as api from '@ticketing/contracts';
import type { Ticket } from './db/schema.js';

/** A ticket as the API and the events show it: price in dollars. */
export function ticketView(t: Ticket): api.Ticket {
  return {
    id: t.id,
    title: t.title,
    price: toDollars(t.priceCents),
    userId: t.userId,
    version: t.version,
    orderId: t.orderId,
  };
}
