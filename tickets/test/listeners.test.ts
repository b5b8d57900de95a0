import { randomUUID } from 'node:crypto';
import { deadLetterSubject } from '@ticketing/contracts';
import { eventually, handleNextWithLostAck, publishTestEvent, readStream } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { orderCompletedListener } from '../src/events/order-completed-listener.js';
import { orderCreatedListener } from '../src/events/order-created-listener.js';
import { aUser, startTickets } from './setup.js';

type Tickets = Awaited<ReturnType<typeof startTickets>>;
const started: Tickets[] = [];
async function start(shared?: Parameters<typeof startTickets>[0]) {
  const t = await startTickets(shared);
  started.push(t);
  return t;
}
afterEach(async () => {
  for (const t of started.reverse()) await t.close();
  started.length = 0;
});

async function sellTicket(t: Tickets, price = 20) {
  const seller = await aUser();
  const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title: 'Gig', price });
  expect(res.status).toBe(201);
  return res.body as { id: string; userId: string; price: number };
}

const orderCreated = (ticket: { id: string; price: number }, id = randomUUID()) => ({
  id,
  version: 0,
  status: 'created',
  userId: randomUUID(),
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  ticket: { id: ticket.id, price: ticket.price },
});
const orderCancelled = (ticketId: string, orderId: string) => ({ id: orderId, version: 1, ticket: { id: ticketId } });
const orderCompleted = (ticketId: string, orderId: string) => ({ id: orderId, version: 1, ticket: { id: ticketId } });

const getTicket = async (t: Tickets, id: string) => (await t.http.get(`/api/tickets/${id}`)).body;
const updates = async (t: Tickets) => (await readStream(t.bus, 'ticket.updated')).map((e) => e.payload);
const handled = async (t: Tickets, subject: string) =>
  (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.subject === subject);

/** A ticket for sale, reserved by an order.created (the listeners must be running); returns both. */
async function reservedTicket(t: Tickets) {
  const ticket = await sellTicket(t);
  const order = orderCreated(ticket);
  await publishTestEvent(t.bus, 'order.created', order);
  await eventually(async () => (await getTicket(t, ticket.id)).orderId === order.id);
  return { ticket, order };
}

describe('tickets listeners', () => {
  it('when order.created arrives, then the ticket is reserved with the next version and ticket.updated says so', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await sellTicket(t);
    const order = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.created', order);

    await eventually(async () => (await getTicket(t, ticket.id)).orderId === order.id);
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 1, orderId: order.id });
    const published = await eventually(async () => {
      const u = await updates(t);
      return u.length === 1 && u;
    });
    expect(published).toEqual([{ ...ticket, title: 'Gig', version: 1, orderId: order.id, status: 'reserved' }]);
    const list = await t.http.get('/api/tickets');
    expect(list.body.map((x: { id: string }) => x.id)).not.toContain(ticket.id);
  });

  it('when order.created is redelivered after it was applied, then it has no second effect', async () => {
    const t = await start();
    const ticket = await sellTicket(t);
    await publishTestEvent(t.bus, 'order.created', orderCreated(ticket));
    await handleNextWithLostAck(t.service, orderCreatedListener);
    expect((await getTicket(t, ticket.id)).version).toBe(1);

    await t.listen(listeners);
    await eventually(async () =>
      (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.result === 'duplicate'),
    );
    expect((await getTicket(t, ticket.id)).version).toBe(1);
    await eventually(async () => (await updates(t)).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await updates(t)).toHaveLength(1);
  });

  it('when order.cancelled arrives for the holding order, then the ticket is free again with the next version', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await sellTicket(t);
    const order = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.created', order);
    await eventually(async () => (await getTicket(t, ticket.id)).orderId === order.id);
    await publishTestEvent(t.bus, 'order.cancelled', orderCancelled(ticket.id, order.id));

    await eventually(async () => (await getTicket(t, ticket.id)).orderId === null);
    expect((await getTicket(t, ticket.id)).version).toBe(2);
    const published = await eventually(async () => {
      const u = await updates(t);
      return u.length === 2 && u;
    });
    expect(published.map((u) => (u as { version: number; orderId: string | null })).map((u) => [u.version, u.orderId])).toEqual([
      [1, order.id],
      [2, null],
    ]);
    const list = await t.http.get('/api/tickets');
    expect(list.body.map((x: { id: string }) => x.id)).toContain(ticket.id);
  });

  it('when order.cancelled arrives for an order that does not hold the ticket, then nothing changes', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await sellTicket(t);
    const order = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.created', order);
    await eventually(async () => (await getTicket(t, ticket.id)).orderId === order.id);
    await publishTestEvent(t.bus, 'order.cancelled', orderCancelled(ticket.id, randomUUID()));

    await eventually(async () =>
      (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.subject === 'order.cancelled'),
    );
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 1, orderId: order.id });
  });

  it('when an order is cancelled before its order.created is handled, then the late order.created does not reserve', async () => {
    const t = await start();
    const ticket = await sellTicket(t);
    const order = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.cancelled', orderCancelled(ticket.id, order.id));
    await publishTestEvent(t.bus, 'order.created', order);
    // Only the cancel listener runs at first, so the cancel is handled first.
    const [, cancelListener] = listeners;
    const cancelOnly = await t.listen([cancelListener!]);
    await eventually(async () =>
      (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.subject === 'order.cancelled'),
    );
    await cancelOnly.stop();
    await t.listen([orderCreatedListener]);
    await eventually(async () =>
      (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.subject === 'order.created'),
    );
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 0, orderId: null });
  });

  it('when a ticket is still held by an earlier order, then the new reservation waits until that order is cancelled', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await sellTicket(t);
    const first = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.created', first);
    await eventually(async () => (await getTicket(t, ticket.id)).orderId === first.id);

    const second = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.created', second);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getTicket(t, ticket.id)).orderId).toBe(first.id);

    await publishTestEvent(t.bus, 'order.cancelled', orderCancelled(ticket.id, first.id));
    await eventually(async () => (await getTicket(t, ticket.id)).orderId === second.id);
    expect((await getTicket(t, ticket.id)).version).toBe(3);
  });

  it('when order.completed arrives for the holding order, then the ticket is sold with the next version and ticket.updated says so', async () => {
    const t = await start();
    await t.listen(listeners);
    const { ticket, order } = await reservedTicket(t);
    await publishTestEvent(t.bus, 'order.completed', orderCompleted(ticket.id, order.id));

    await eventually(async () => (await getTicket(t, ticket.id)).status === 'sold');
    expect(await getTicket(t, ticket.id)).toEqual({ ...ticket, title: 'Gig', version: 2, orderId: order.id, status: 'sold' });
    const published = await eventually(async () => {
      const u = await updates(t);
      return u.length === 2 && u;
    });
    expect(published[1]).toEqual({ ...ticket, title: 'Gig', version: 2, orderId: order.id, status: 'sold' });
    const list = await t.http.get('/api/tickets');
    expect(list.body.map((x: { id: string }) => x.id)).not.toContain(ticket.id);
  });

  it('when order.completed arrives for an order that does not hold the ticket, then nothing changes', async () => {
    const t = await start();
    await t.listen(listeners);
    const { ticket, order } = await reservedTicket(t);
    await publishTestEvent(t.bus, 'order.completed', orderCompleted(ticket.id, randomUUID()));

    await eventually(() => handled(t, 'order.completed'));
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 1, orderId: order.id, status: 'reserved' });
    expect(await updates(t)).toHaveLength(1);
  });

  it('when order.completed is redelivered after it was applied, then it has no second effect', async () => {
    const t = await start();
    await t.listen([orderCreatedListener]);
    const { ticket, order } = await reservedTicket(t);
    await publishTestEvent(t.bus, 'order.completed', orderCompleted(ticket.id, order.id));
    await handleNextWithLostAck(t.service, orderCompletedListener);
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 2, status: 'sold' });

    await t.listen([orderCompletedListener]);
    await eventually(async () =>
      (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.subject === 'order.completed' && v.labels.result === 'duplicate'),
    );
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 2, status: 'sold' });
    await eventually(async () => (await updates(t)).length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(await updates(t)).toHaveLength(2);
  });

  it('when an order completes before its order.created is handled, then the late order.created sells the ticket at once', async () => {
    const t = await start();
    const ticket = await sellTicket(t);
    const order = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.completed', orderCompleted(ticket.id, order.id));
    await publishTestEvent(t.bus, 'order.created', order);
    // Only the completion listener runs at first, so the completion is handled first.
    const completedOnly = await t.listen([orderCompletedListener]);
    await eventually(() => handled(t, 'order.completed'));
    await completedOnly.stop();
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 0, orderId: null, status: 'available' });

    await t.listen([orderCreatedListener]);
    await eventually(() => handled(t, 'order.created'));
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 1, orderId: order.id, status: 'sold' });
    expect((await updates(t)).map((u) => (u as { status: string }).status)).toEqual(['sold']);
  });

  it('when order.cancelled arrives for a sold ticket, for its order or another, then the ticket stays sold', async () => {
    const t = await start();
    await t.listen(listeners);
    const { ticket, order } = await reservedTicket(t);
    await publishTestEvent(t.bus, 'order.completed', orderCompleted(ticket.id, order.id));
    await eventually(async () => (await getTicket(t, ticket.id)).status === 'sold');

    await publishTestEvent(t.bus, 'order.cancelled', orderCancelled(ticket.id, randomUUID()));
    await publishTestEvent(t.bus, 'order.cancelled', orderCancelled(ticket.id, order.id));
    await eventually(async () =>
      (await t.service.metrics.eventsHandled.get()).values
        .filter((v) => v.labels.subject === 'order.cancelled')
        .reduce((sum, v) => sum + v.value, 0) === 2,
    );
    expect(await getTicket(t, ticket.id)).toMatchObject({ version: 2, orderId: order.id, status: 'sold' });
    expect(await updates(t)).toHaveLength(2);
    const list = await t.http.get('/api/tickets');
    expect(list.body.map((x: { id: string }) => x.id)).not.toContain(ticket.id);
  });

  it('when order.created names an unknown ticket, then it ends in the dead letter subject and later events still flow', async () => {
    const t = await start();
    await t.listen(listeners);
    const bad = orderCreated({ id: randomUUID(), price: 5 });
    await publishTestEvent(t.bus, 'order.created', bad);
    const ticket = await sellTicket(t);
    const good = orderCreated(ticket);
    await publishTestEvent(t.bus, 'order.created', good);

    await eventually(async () => (await getTicket(t, ticket.id)).orderId === good.id);
    const dead = await eventually(async () => {
      const d = await readStream(t.bus, deadLetterSubject('tickets-order-created', 'order.created'));
      return d.length === 1 && d;
    });
    expect(dead[0]!.payload).toEqual(bad);
    expect(dead[0]!.headers['Ticketing-Reason']).toContain('not found');
  });

  it('when two tickets replicas share the durable consumers, then each order.created is handled exactly once', async () => {
    const one = await start();
    const two = await start({ database: one.database, bus: one.bus });
    await one.listen(listeners);
    await two.listen(listeners);
    const tickets = await Promise.all(Array.from({ length: 30 }, () => sellTicket(one)));
    const orders = tickets.map((ticket) => orderCreated(ticket));
    await Promise.all(orders.map((o) => publishTestEvent(one.bus, 'order.created', o)));

    await eventually(async () => (await updates(one)).length >= 30, { what: '30 ticket.updated' });
    await new Promise((r) => setTimeout(r, 300));
    const published = (await updates(one)) as { id: string; version: number }[];
    expect(published).toHaveLength(30);
    expect(new Set(published.map((u) => u.id)).size).toBe(30);
    expect(published.every((u) => u.version === 1)).toBe(true);
    const handled = async (t: Tickets) =>
      (await t.service.metrics.eventsHandled.get()).values
        .filter((v) => v.labels.subject === 'order.created' && v.labels.result === 'handled')
        .reduce((sum, v) => sum + v.value, 0);
    expect((await handled(one)) + (await handled(two))).toBe(30);
  });
});
