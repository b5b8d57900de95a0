import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_PREFIX, deadLetterSubject } from '@ticketing/contracts';
import { eventually, handleNextWithLostAck, publishTestEvent, readStream } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { orderCancelledListener } from '../src/events/order-cancelled-listener.js';
import { orderCompletedListener } from '../src/events/order-completed-listener.js';
import { orderCreatedListener } from '../src/events/order-created-listener.js';
import { anOrder, replicaOf, type OrderCreated, type Payments } from './helpers.js';
import { startPayments } from './setup.js';

const started: Payments[] = [];
async function start(shared?: NonNullable<Parameters<typeof startPayments>[0]>['shared']) {
  const t = await startPayments({ shared });
  started.push(t);
  return t;
}
afterEach(async () => {
  for (const t of started.reverse()) await t.close();
  started.length = 0;
});

const cancelled = (order: OrderCreated, version = 1) => ({ id: order.id, version, ticket: { id: order.ticket.id } });
const completed = cancelled;

/** How many events of `subject` this instance has handled with `result` ('handled' or 'duplicate'). */
async function handledCount(t: Payments, subject: string, result = 'handled') {
  const values = (await t.service.metrics.eventsHandled.get()).values;
  return values.filter((v) => v.labels.subject === subject && v.labels.result === result).reduce((sum, v) => sum + v.value, 0);
}
const failedCount = async (t: Payments, subject: string) =>
  (await t.service.metrics.eventsFailed.get()).values.filter((v) => v.labels.subject === subject).reduce((s, v) => s + v.value, 0);

describe('payments listeners', () => {
  describe('order.created', () => {
    it('when order.created arrives, then the replica holds its buyer, price in cents, status, version and deadline', async () => {
      const t = await start();
      await t.listen(listeners);
      const order = anOrder({ ticket: { id: randomUUID(), price: 20.5 } });

      await publishTestEvent(t.bus, 'order.created', order);

      const replica = await eventually(() => replicaOf(t, order.id), { what: 'the replica' });
      expect(replica).toEqual({
        id: order.id,
        userId: order.userId,
        priceCents: 2050,
        status: 'created',
        version: 0,
        expiresAt: new Date(order.expiresAt),
      });
    });

    it.each([
      [0.01, 1],
      [0.3, 30],
      [4.35, 435],
      [19.99, 1999],
      [1_000_000, 100_000_000],
    ])('when the price is %s dollars, then %s cents are stored', async (price, cents) => {
      const t = await start();
      await t.listen(listeners);
      const order = anOrder({ ticket: { id: randomUUID(), price } });

      await publishTestEvent(t.bus, 'order.created', order);

      expect((await eventually(() => replicaOf(t, order.id)))!.priceCents).toBe(cents);
    });

    it('when expiresAt has a time zone offset, then the same instant is stored', async () => {
      const t = await start();
      await t.listen(listeners);
      const order = anOrder({ expiresAt: '2031-05-04T12:30:00.250+02:00' });

      await publishTestEvent(t.bus, 'order.created', order);

      expect((await eventually(() => replicaOf(t, order.id)))!.expiresAt.toISOString()).toBe('2031-05-04T10:30:00.250Z');
    });

    it('when order.created is redelivered after it was applied (lost ack), then it has no second effect', async () => {
      const t = await start();
      const order = anOrder();
      await publishTestEvent(t.bus, 'order.created', order);
      await handleNextWithLostAck(t.service, orderCreatedListener);
      const first = await replicaOf(t, order.id);
      expect(first).toMatchObject({ id: order.id, version: 0 });

      await t.listen(listeners);

      await eventually(async () => (await handledCount(t, 'order.created', 'duplicate')) === 1, { what: 'the duplicate' });
      expect(await replicaOf(t, order.id)).toEqual(first);
    });

    it('when order.created arrives again (re-published, new event id) after the order was cancelled, then the replica stays cancelled', async () => {
      const t = await start();
      await t.listen(listeners);
      const order = anOrder();
      await publishTestEvent(t.bus, 'order.created', order);
      await eventually(() => replicaOf(t, order.id));
      await publishTestEvent(t.bus, 'order.cancelled', cancelled(order));
      await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled');

      await publishTestEvent(t.bus, 'order.created', order);

      await eventually(async () => (await handledCount(t, 'order.created')) === 2, { what: 'the second order.created' });
      expect(await replicaOf(t, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    });

    it('when order.created is malformed, then it goes to the dead letter subject and later events still flow', async () => {
      const t = await start();
      await t.listen(listeners);
      const bad = { ...anOrder(), ticket: { id: randomUUID(), price: -5 } };
      await publishTestEvent(t.bus, 'order.created', bad);
      const good = anOrder();

      await publishTestEvent(t.bus, 'order.created', good);

      await eventually(() => replicaOf(t, good.id), { what: 'the good order' });
      expect(await replicaOf(t, bad.id)).toBeUndefined();
      const dead = await eventually(async () => {
        const d = await readStream(t.bus, deadLetterSubject('payments-order-created', 'order.created'));
        return d.length === 1 && d;
      });
      expect(dead[0]!.payload).toEqual(bad);
    });
  });

  describe.each([
    ['order.cancelled', 'cancelled', orderCancelledListener],
    ['order.completed', 'complete', orderCompletedListener],
  ] as const)('%s', (subject, status, listener) => {
    it(`when ${subject} arrives at the next version, then the replica becomes ${status} at that version`, async () => {
      const t = await start();
      await t.listen(listeners);
      const order = anOrder();
      await publishTestEvent(t.bus, 'order.created', order);
      await eventually(() => replicaOf(t, order.id));

      await publishTestEvent(t.bus, subject, cancelled(order, 1));

      await eventually(async () => (await replicaOf(t, order.id))?.status === status, { what: status });
      expect(await replicaOf(t, order.id)).toMatchObject({ status, version: 1, priceCents: 2000, userId: order.userId });
    });

    it(`when ${subject} arrives before order.created, then it waits and is applied once the order is there`, async () => {
      const t = await start();
      const order = anOrder();
      await publishTestEvent(t.bus, subject, cancelled(order, 1));
      const running = await t.listen([listener]);
      await eventually(async () => (await failedCount(t, subject)) >= 2, { what: 'the early event to be retried' });
      expect(await replicaOf(t, order.id)).toBeUndefined();

      await t.listen([orderCreatedListener]);
      await publishTestEvent(t.bus, 'order.created', order);

      await eventually(async () => (await replicaOf(t, order.id))?.status === status, { what: status });
      expect(await replicaOf(t, order.id)).toMatchObject({ status, version: 1 });
      await running.stop();
    });

    it(`when ${subject} version 2 arrives before version 1, then 2 waits until 1 is applied`, async () => {
      const t = await start();
      await t.listen([orderCreatedListener]);
      const order = anOrder();
      await publishTestEvent(t.bus, 'order.created', order);
      await eventually(() => replicaOf(t, order.id));
      // The versions are what this is about: two changes of one kind in a row.
      await publishTestEvent(t.bus, subject, cancelled(order, 2));
      await t.listen([listener]);
      await eventually(async () => (await failedCount(t, subject)) >= 2, { what: 'version 2 to be retried' });
      expect(await replicaOf(t, order.id)).toMatchObject({ status: 'created', version: 0 });

      await publishTestEvent(t.bus, subject, cancelled(order, 1));

      await eventually(async () => (await replicaOf(t, order.id))?.version === 2, { what: 'version 2' });
      expect(await replicaOf(t, order.id)).toMatchObject({ status, version: 2 });
      expect(await handledCount(t, subject)).toBe(2);
    });

    it(`when a stale ${subject} (a version already applied) arrives, then it is acked and ignored`, async () => {
      const t = await start();
      await t.listen(listeners);
      const order = anOrder();
      await publishTestEvent(t.bus, 'order.created', order);
      await eventually(() => replicaOf(t, order.id));
      await publishTestEvent(t.bus, subject, cancelled(order, 1));
      await publishTestEvent(t.bus, subject, cancelled(order, 2));
      await eventually(async () => (await replicaOf(t, order.id))?.version === 2);

      await publishTestEvent(t.bus, subject, cancelled(order, 1));

      await eventually(async () => (await handledCount(t, subject)) === 3, { what: 'the stale event acked' });
      expect(await replicaOf(t, order.id)).toMatchObject({ status, version: 2 });
      expect(await failedCount(t, subject)).toBe(0);
    });

    it(`when ${subject} is redelivered after it was applied (lost ack), then it has no second effect`, async () => {
      const t = await start();
      await t.listen([orderCreatedListener]);
      const order = anOrder();
      await publishTestEvent(t.bus, 'order.created', order);
      await eventually(() => replicaOf(t, order.id));
      await publishTestEvent(t.bus, subject, cancelled(order, 1));
      await handleNextWithLostAck(t.service, listener);
      expect(await replicaOf(t, order.id)).toMatchObject({ status, version: 1 });

      await t.listen([listener]);

      await eventually(async () => (await handledCount(t, subject, 'duplicate')) === 1, { what: 'the duplicate' });
      expect(await replicaOf(t, order.id)).toMatchObject({ status, version: 1 });
      expect(await failedCount(t, subject)).toBe(0);
    });

    it(`when ${subject} comes long before its order, then it is retried past any old budget, never dead-lettered, and applied once the order arrives`, async () => {
      const t = await start();
      await t.listen(listeners);
      const late = anOrder();

      await publishTestEvent(t.bus, subject, cancelled(late, 1));
      // Four times the deliveries after which it used to be dead-lettered.
      await eventually(async () => (await failedCount(t, subject)) >= 12, { what: '12 retries', timeoutMs: 30_000 });
      expect(t.service.retries.summary()).toMatchObject({ retrying: 1, causes: { out_of_order: 1 } });

      await publishTestEvent(t.bus, 'order.created', late);
      await eventually(async () => (await replicaOf(t, late.id))?.version === 1, { what: `${subject} applied` });
      expect(await replicaOf(t, late.id)).toMatchObject({ status, version: 1 });
      expect(await readStream(t.bus, `${DEAD_LETTER_PREFIX}.>`)).toEqual([]);
    });
  });

  it('when order.completed carries a version order.cancelled already applied, then it is stale and the order stays cancelled', async () => {
    const t = await start();
    await t.listen(listeners);
    const order = anOrder();
    await publishTestEvent(t.bus, 'order.created', order);
    await eventually(() => replicaOf(t, order.id));
    await publishTestEvent(t.bus, 'order.cancelled', cancelled(order, 1));
    await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled');

    await publishTestEvent(t.bus, 'order.completed', completed(order, 1));

    await eventually(async () => (await handledCount(t, 'order.completed')) === 1, { what: 'the stale completion' });
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when two payments replicas share the durable consumers, then each order.created is stored once', async () => {
    const one = await start();
    const two = await start({ database: one.database, bus: one.bus });
    await one.listen(listeners);
    await two.listen(listeners);
    const orders = Array.from({ length: 20 }, () => anOrder());

    await Promise.all(orders.map((o) => publishTestEvent(one.bus, 'order.created', o)));

    await eventually(async () => (await handledCount(one, 'order.created')) + (await handledCount(two, 'order.created')) === 20, {
      what: '20 handled',
    });
    for (const o of orders) expect(await replicaOf(one, o.id)).toMatchObject({ id: o.id, version: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await handledCount(one, 'order.created')) + (await handledCount(two, 'order.created'))).toBe(20);
  });
});
