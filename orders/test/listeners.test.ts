import { deadLetterSubject } from '@ticketing/contracts';
import { eventually, handleNextWithLostAck, publishTestEvent, readStream, recordingLogger } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { expirationCompleteListener } from '../src/events/expiration-complete-listener.js';
import { listeners } from '../src/events/listeners.js';
import { paymentCreatedListener } from '../src/events/payment-created-listener.js';
import { paymentStartedListener } from '../src/events/payment-started-listener.js';
import { ticketCreatedListener } from '../src/events/ticket-created-listener.js';
import {
  createOrder,
  getOrder,
  payFor,
  publishedEvents,
  replicaOf,
  replicateTicket,
  startPayment,
  type Orders,
  type ReplicatedTicket,
} from './helpers.js';
import { aUser, startOrders } from './setup.js';

const started: Orders[] = [];
async function start(shared?: Orders) {
  const t = await startOrders(shared ? { shared: { database: shared.database, bus: shared.bus } } : {});
  started.push(t);
  return t;
}
afterEach(async () => {
  for (const t of started.reverse()) await t.close();
  started.length = 0;
});

/** How many `subject` events this instance acked with `result` (handled, or duplicate). */
async function acked(t: Orders, subject: string, result = 'handled') {
  const { values } = await t.service.metrics.eventsHandled.get();
  return values.filter((v) => v.labels.subject === subject && v.labels.result === result).reduce((n, v) => n + v.value, 0);
}
/** How many deliveries of `subject` failed (including RetryLater) on this instance. */
async function failures(t: Orders, subject: string) {
  const { values } = await t.service.metrics.eventsFailed.get();
  return values.filter((v) => v.labels.subject === subject).reduce((n, v) => n + v.value, 0);
}

const ticketUpdated = (ticket: ReplicatedTicket, change: { version: number; title: string; price: number }) => ({
  ...ticket,
  ...change,
  orderId: null,
});
const eventsFor = async (t: Orders, subject: string, orderId: string) =>
  ((await publishedEvents(t, subject)) as { id: string }[]).filter((e) => e.id === orderId);

describe('ticket.created', () => {
  it('when ticket.created arrives, then the replica has the same id, title, price and version', async () => {
    const t = await start();
    await t.listen(listeners);

    const ticket = await replicateTicket(t, { title: 'Jazz', price: 12.5, version: 0 });

    expect(await replicaOf(t, ticket.id)).toEqual({ id: ticket.id, title: 'Jazz', priceCents: 1250, version: 0 });
    const order = await createOrder(t, await aUser(), ticket.id);
    expect(order.ticket).toEqual({ id: ticket.id, title: 'Jazz', price: 12.5 });
  });

  it('when ticket.created arrives again for a replicated ticket (another event id), then the replica is unchanged', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await replicateTicket(t, { title: 'First' });

    await publishTestEvent(t.bus, 'ticket.created', { ...ticket, title: 'Second' });

    await eventually(async () => (await acked(t, 'ticket.created')) === 2);
    expect(await failures(t, 'ticket.created')).toBe(0);
    expect((await replicaOf(t, ticket.id))?.title).toBe('First');
  });
});

describe('ticket.updated', () => {
  it('when the next version arrives, then title, price and version are applied and new orders show them', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await replicateTicket(t, { title: 'Before', price: 10 });

    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 1, title: 'After', price: 20.25 }));

    await eventually(async () => (await replicaOf(t, ticket.id))?.version === 1);
    expect(await replicaOf(t, ticket.id)).toEqual({ id: ticket.id, title: 'After', priceCents: 2025, version: 1 });
    expect((await createOrder(t, await aUser(), ticket.id)).ticket).toEqual({ id: ticket.id, title: 'After', price: 20.25 });
  });

  it('when version 2 is published before version 1, then version 2 waits and both are applied in order', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await replicateTicket(t, { title: 'V0', price: 10 });

    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 2, title: 'V2', price: 30 }));
    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 1, title: 'V1', price: 20 }));

    await eventually(async () => (await acked(t, 'ticket.updated')) === 2, { what: 'both updates handled' });
    expect(await replicaOf(t, ticket.id)).toEqual({ id: ticket.id, title: 'V2', priceCents: 3000, version: 2 });
    // Version 2 came first and was refused at least once: it was not applied over version 0.
    expect(await failures(t, 'ticket.updated')).toBeGreaterThanOrEqual(1);
    expect(await readStream(t.bus, 'deadletter.>')).toEqual([]);
  });

  it('when an old or repeated version arrives, then it is acked and ignored', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await replicateTicket(t, { title: 'Original', price: 10 });
    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 1, title: 'Edited', price: 15 }));
    await eventually(async () => (await replicaOf(t, ticket.id))?.version === 1);

    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 1, title: 'Stale v1', price: 99 }));
    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 0, title: 'Stale v0', price: 1 }));

    await eventually(async () => (await acked(t, 'ticket.updated')) === 3, { what: 'stale updates acked' });
    expect(await failures(t, 'ticket.updated')).toBe(0);
    expect(await replicaOf(t, ticket.id)).toEqual({ id: ticket.id, title: 'Edited', priceCents: 1500, version: 1 });
  });

  it('when ticket.updated arrives before its ticket.created, then it waits and is applied once the ticket is replicated', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = { id: randomUUID(), title: 'V0', price: 10, userId: randomUUID(), version: 0 };
    await publishTestEvent(t.bus, 'ticket.updated', ticketUpdated(ticket, { version: 1, title: 'V1', price: 11 }));
    await eventually(async () => (await failures(t, 'ticket.updated')) >= 1);

    await publishTestEvent(t.bus, 'ticket.created', ticket);

    await eventually(async () => (await replicaOf(t, ticket.id))?.version === 1, { what: 'update applied' });
    expect(await replicaOf(t, ticket.id)).toEqual({ id: ticket.id, title: 'V1', priceCents: 1100, version: 1 });
  });
});

describe('expiration.complete', () => {
  it('when a created order expires, then it is cancelled at version 1, order.cancelled is published and the ticket is free again', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);

    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'cancelled');
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'cancelled', version: 1 });
    expect(await eventsFor(t, 'order.cancelled', order.id)).toEqual([{ id: order.id, version: 1, ticket: { id: ticket.id } }]);
    const next = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
    expect(next.status).toBe(201);
  });

  it('when an order awaiting payment expires, then it is cancelled at version 2, order.cancelled is published and the ticket is free again', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);
    await startPayment(t, buyer, order.id);

    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'cancelled');
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'cancelled', version: 2 });
    expect(await eventsFor(t, 'order.cancelled', order.id)).toEqual([{ id: order.id, version: 2, ticket: { id: ticket.id } }]);
    const next = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
    expect(next.status).toBe(201);
  });

  it('when a complete order expires, then it stays complete and no order.cancelled is published', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);
    await payFor(t, buyer, order.id);

    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });

    await eventually(async () => (await acked(t, 'expiration.complete')) === 1);
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'complete', version: 1 });
    expect(await eventsFor(t, 'order.cancelled', order.id)).toEqual([]);
    const next = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
    expect(next.status).toBe(409);
  });

  it('when an order the buyer cancelled expires, then nothing changes and no second order.cancelled is published', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    expect((await t.http.delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie)).status).toBe(204);

    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });

    await eventually(async () => (await acked(t, 'expiration.complete')) === 1);
    expect((await getOrder(t, buyer, order.id)).version).toBe(1);
    expect(await eventsFor(t, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('when expiration.complete is redelivered after it was applied, then it has no second effect', async () => {
    const t = await start();
    await t.listen([ticketCreatedListener]);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });
    await handleNextWithLostAck(t.service, expirationCompleteListener);
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'cancelled', version: 1 });

    await t.listen([expirationCompleteListener]);

    await eventually(async () => (await acked(t, 'expiration.complete', 'duplicate')) === 1, { what: 'redelivery' });
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await eventsFor(t, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('when the order is unknown, then the event ends in the dead letter subject at its first delivery and later events still flow', async () => {
    const t = await start();
    await t.listen(listeners);
    const bad = { orderId: randomUUID() };
    await publishTestEvent(t.bus, 'expiration.complete', bad);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);

    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'cancelled');
    const dead = await eventually(async () => {
      const d = await readStream(t.bus, deadLetterSubject('orders-expiration-complete', 'expiration.complete'));
      return d.length === 1 && d;
    });
    expect(dead[0]!.payload).toEqual(bad);
    expect(dead[0]!.headers['Ticketing-Reason']).toContain('not found');
    expect(dead[0]!.headers['Ticketing-Deliveries']).toBe('1');
    expect(await failures(t, 'expiration.complete')).toBe(1);
  });

  it('when two orders replicas share the durable consumers, then each expiry is handled exactly once', async () => {
    const one = await start();
    const two = await start(one);
    await one.listen(listeners);
    await two.listen(listeners);
    const made = await Promise.all(
      Array.from({ length: 20 }, async () => createOrder(one, await aUser(), (await replicateTicket(one)).id)),
    );

    await Promise.all(made.map((o) => publishTestEvent(one.bus, 'expiration.complete', { orderId: o.id })));

    await eventually(async () => (await acked(one, 'expiration.complete')) + (await acked(two, 'expiration.complete')) === 20);
    const cancelled = (await publishedEvents(one, 'order.cancelled')) as { id: string; version: number }[];
    expect(cancelled.map((e) => e.id).sort()).toEqual(made.map((o) => o.id).sort());
    expect(cancelled.every((e) => e.version === 1)).toBe(true);
  });
});

describe('payment.started', () => {
  const started = (orderId: string) => ({ id: randomUUID(), orderId });

  it('when a created order\'s payment starts, then it awaits payment at version 1, order.updated is published and the ticket stays reserved', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);

    await publishTestEvent(t.bus, 'payment.started', started(order.id));

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'awaiting:payment');
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'awaiting:payment', version: 1 });
    expect(await eventsFor(t, 'order.updated', order.id)).toEqual([
      { id: order.id, version: 1, status: 'awaiting:payment', ticket: { id: ticket.id } },
    ]);
    const other = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
    expect(other.status).toBe(409);
  });

  it('when a payment starts again for an order already awaiting payment (another event id), then it is acked and nothing changes', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await startPayment(t, buyer, order.id);

    await publishTestEvent(t.bus, 'payment.started', started(order.id));

    await eventually(async () => (await acked(t, 'payment.started')) === 2);
    expect(await failures(t, 'payment.started')).toBe(0);
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'awaiting:payment', version: 1 });
    expect(await eventsFor(t, 'order.updated', order.id)).toHaveLength(1);
  });

  it('when a payment starts for a cancelled order, then it is acked, the order stays cancelled and no order.updated is published', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    expect((await t.http.delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie)).status).toBe(204);

    await publishTestEvent(t.bus, 'payment.started', started(order.id));

    await eventually(async () => (await acked(t, 'payment.started')) === 1);
    expect(await failures(t, 'payment.started')).toBe(0);
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'cancelled', version: 1 });
    expect(await eventsFor(t, 'order.updated', order.id)).toEqual([]);
  });

  it('when a payment starts for a complete order, then it is acked, the order stays complete and no order.updated is published', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await payFor(t, buyer, order.id);

    await publishTestEvent(t.bus, 'payment.started', started(order.id));

    await eventually(async () => (await acked(t, 'payment.started')) === 1);
    expect(await failures(t, 'payment.started')).toBe(0);
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'complete', version: 1 });
    expect(await eventsFor(t, 'order.updated', order.id)).toEqual([]);
  });

  it('when payment.started is redelivered after it was applied, then it has no second effect', async () => {
    const t = await start();
    await t.listen([ticketCreatedListener]);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await publishTestEvent(t.bus, 'payment.started', started(order.id));
    await handleNextWithLostAck(t.service, paymentStartedListener);
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'awaiting:payment', version: 1 });

    await t.listen([paymentStartedListener]);

    await eventually(async () => (await acked(t, 'payment.started', 'duplicate')) === 1, { what: 'redelivery' });
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'awaiting:payment', version: 1 });
    expect(await eventsFor(t, 'order.updated', order.id)).toHaveLength(1);
  });

  it('when the order is unknown, then the event ends in the dead letter subject at its first delivery', async () => {
    const t = await start();
    await t.listen(listeners);
    const bad = started(randomUUID());

    await publishTestEvent(t.bus, 'payment.started', bad);

    const dead = await eventually(async () => {
      const d = await readStream(t.bus, deadLetterSubject('orders-payment-started', 'payment.started'));
      return d.length === 1 && d;
    });
    expect(dead[0]!.payload).toEqual(bad);
    expect(dead[0]!.headers['Ticketing-Reason']).toContain('not found');
    expect(dead[0]!.headers['Ticketing-Deliveries']).toBe('1');
  });
});

describe('payment.created', () => {
  const payment = (orderId: string) => ({ id: randomUUID(), orderId, chargeId: `ch_${randomUUID()}` });

  it('when a created order is paid, then it is complete at version 1 and order.completed is published', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);

    await publishTestEvent(t.bus, 'payment.created', payment(order.id));

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'complete');
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'complete', version: 1 });
    expect(await eventsFor(t, 'order.completed', order.id)).toEqual([{ id: order.id, version: 1, ticket: { id: ticket.id } }]);
  });

  it('when an order awaiting payment is paid, then it is complete at version 2, order.completed is published and the ticket stays taken', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);
    await startPayment(t, buyer, order.id);

    await publishTestEvent(t.bus, 'payment.created', { ...payment(order.id), chargeId: `pi_${randomUUID()}` });

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'complete');
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'complete', version: 2 });
    expect(await eventsFor(t, 'order.completed', order.id)).toEqual([{ id: order.id, version: 2, ticket: { id: ticket.id } }]);
    const next = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
    expect(next.status).toBe(409);
  });

  it('when a cancelled order is paid, then it stays cancelled, no order.completed is published and a warning says it is refunded', async () => {
    const { logger, records } = recordingLogger();
    const t = await startOrders({ logger });
    started.push(t);
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    expect((await t.http.delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie)).status).toBe(204);
    const paid = payment(order.id);

    await publishTestEvent(t.bus, 'payment.created', paid);

    await eventually(async () => (await acked(t, 'payment.created')) === 1);
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'cancelled', version: 1 });
    expect(await eventsFor(t, 'order.completed', order.id)).toEqual([]);
    expect(records.filter((r) => r.level === 'error')).toEqual([]);
    expect(records.filter((r) => r.level === 'warn' && /refund/.test(String(r.msg)))).toEqual([
      expect.objectContaining({
        msg: expect.stringMatching(/refund/),
        orderId: order.id,
        paymentId: paid.id,
        chargeId: paid.chargeId,
      }),
    ]);
  });

  it('when a complete order is paid again (another payment), then nothing changes and no second order.completed', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await payFor(t, buyer, order.id);

    await publishTestEvent(t.bus, 'payment.created', payment(order.id));

    await eventually(async () => (await acked(t, 'payment.created')) === 2);
    expect((await getOrder(t, buyer, order.id)).version).toBe(1);
    expect(await eventsFor(t, 'order.completed', order.id)).toHaveLength(1);
  });

  it('when payment.created is redelivered after it was applied, then it has no second effect', async () => {
    const t = await start();
    await t.listen([ticketCreatedListener]);
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await publishTestEvent(t.bus, 'payment.created', payment(order.id));
    await handleNextWithLostAck(t.service, paymentCreatedListener);
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'complete', version: 1 });

    await t.listen([paymentCreatedListener]);

    await eventually(async () => (await acked(t, 'payment.created', 'duplicate')) === 1, { what: 'redelivery' });
    expect(await getOrder(t, buyer, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await eventsFor(t, 'order.completed', order.id)).toHaveLength(1);
  });

  it('when the order is unknown, then the event ends in the dead letter subject', async () => {
    const t = await start();
    await t.listen(listeners);
    const bad = payment(randomUUID());

    await publishTestEvent(t.bus, 'payment.created', bad);

    const dead = await eventually(async () => {
      const d = await readStream(t.bus, deadLetterSubject('orders-payment-created', 'payment.created'));
      return d.length === 1 && d;
    });
    expect(dead[0]!.payload).toEqual(bad);
    expect(dead[0]!.headers['Ticketing-Reason']).toContain('not found');
  });
});
