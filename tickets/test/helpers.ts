export { expectErrors, publishedEvents } from '@ticketing/testkit';
import type { Ticket as TicketBody } from '@ticketing/contracts';
import { eventually, publishTestEvent, readStream } from '@ticketing/testkit';
import { count, isNull } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { expect } from 'vitest';
import { outbox } from '../src/db/schema.js';
import type { aUser, startTickets } from './setup.js';

export type Tickets = Awaited<ReturnType<typeof startTickets>>;
export type User = Awaited<ReturnType<typeof aUser>>;
export type { TicketBody };

/** POST /api/tickets as `user`, expecting 201; returns the ticket. */
export async function createTicket(
  t: Tickets,
  user: User,
  body: { title: string; price: number } = { title: `Ticket ${randomUUID().slice(0, 6)}`, price: 10 },
): Promise<TicketBody> {
  const res = await t.http.post('/api/tickets').set('Cookie', user.cookie).send(body);
  expect(res.status).toBe(201);
  return res.body as TicketBody;
}

/** GET /api/tickets/:id, expecting 200. */
export async function getTicket(t: Tickets, id: string): Promise<TicketBody> {
  const res = await t.http.get(`/api/tickets/${id}`);
  expect(res.status).toBe(200);
  return res.body as TicketBody;
}


/**
 * Reserves `ticket` the way the orders service does: an order.created event. The tickets
 * listeners must be running (`await t.listen(listeners)`). Returns the order id once the
 * ticket shows it.
 */
export async function reserve(t: Tickets, ticket: TicketBody, buyer?: User): Promise<string> {
  const orderId = randomUUID();
  await publishTestEvent(t.bus, 'order.created', {
    id: orderId,
    version: 0,
    status: 'created',
    userId: buyer?.id ?? randomUUID(),
    expiresAt: new Date(Date.now() + 900_000).toISOString(),
    ticket: { id: ticket.id, price: ticket.price },
  });
  await eventually(async () => (await getTicket(t, ticket.id)).orderId === orderId, {
    what: `ticket ${ticket.id} reserved`,
  });
  return orderId;
}

/**
 * Completes the order holding `ticket` the way the orders service does once it is paid: an
 * order.completed event. The tickets listeners must be running. Returns once the ticket shows
 * it sold.
 */
export async function complete(t: Tickets, ticket: { id: string }, orderId: string): Promise<TicketBody> {
  await publishTestEvent(t.bus, 'order.completed', { id: orderId, version: 1, ticket: { id: ticket.id } });
  return eventually(
    async () => {
      const shown = await getTicket(t, ticket.id);
      return shown.status === 'sold' && shown;
    },
    { what: `ticket ${ticket.id} sold` },
  );
}

/** The target of a `Link: <...>; rel="next"` header, or undefined when there is none. */
export function nextLink(res: Response): string | undefined {
  const link = res.headers.link as string | undefined;
  if (link === undefined) return undefined;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  expect(m, `malformed Link header: ${link}`).not.toBeNull();
  return m![1];
}
