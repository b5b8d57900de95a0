import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_PREFIX, deadLetterSubject } from '@ticketing/contracts';
import { eventually, handleNextWithLostAck, publishTestEvent, readStream } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { orderCancelledListener } from '../src/events/order-cancelled-listener.js';
import { orderCreatedListener } from '../src/events/order-created-listener.js';
import { orderUpdatedListener } from '../src/events/order-updated-listener.js';
import { anOrder, pay, paymentsOf, replicaOf, replicate, type OrderCreated, type Payments } from './helpers.js';
import { aUser, startPayments } from './setup.js';

const started: Payments[] = [];
async function start() {
  const t = await startPayments();
  started.push(t);
  return t;
}
afterEach(async () => {
  for (const t of started.reverse()) await t.close();
  started.length = 0;
});

/** order.updated as the orders service publishes it when the order's payment starts. */
const awaiting = (order: OrderCreated, version = 1) => ({
  id: order.id,
  version,
  status: 'awaiting:payment',
  ticket: { id: order.ticket.id },
});
const cancelled = (order: OrderCreated, version: number) => ({ id: order.id, version, ticket: { id: order.ticket.id } });

/** How many events of `subject` this instance has handled with `result` ('handled' or 'duplicate'). */
async function handledCount(t: Payments, subject: string, result = 'handled') {
  const values = (await t.service.metrics.eventsHandled.get()).values;
  return values.filter((v) => v.labels.subject === subject && v.labels.result === result).reduce((sum, v) => sum + v.value, 0);
}
const failedCount = async (t: Payments, subject: string) =>
  (await t.service.metrics.eventsFailed.get()).values.filter((v) => v.labels.subject === subject).reduce((s, v) => s + v.value, 0);

describe('order.updated in the payments replica', () => {
  it('when order.updated arrives at the next version, then the replica awaits payment at that version and keeps its buyer, price and deadline', async () => {
    const t = await start();
    await t.listen(listeners);
    const order = await replicate(t, anOrder({ ticket: { id: randomUUID(), price: 12.5 } }));

    await publishTestEvent(t.bus, 'order.updated', awaiting(order));

    await eventually(async () => (await replicaOf(t, order.id))?.status === 'awaiting:payment', { what: 'awaiting payment' });
    expect(await replicaOf(t, order.id)).toEqual({
      id: order.id,
      userId: order.userId,
      priceCents: 1250,
      status: 'awaiting:payment',
      version: 1,
      expiresAt: new Date(order.expiresAt),
    });
  });

  it('when order.updated arrives before order.created, then it waits and is applied once the order is there', async () => {
    const t = await start();
    const order = anOrder();
    await publishTestEvent(t.bus, 'order.updated', awaiting(order));
    await t.listen([orderUpdatedListener]);
    await eventually(async () => (await failedCount(t, 'order.updated')) >= 2, { what: 'the early event to be retried' });
    expect(await replicaOf(t, order.id)).toBeUndefined();

    await t.listen([orderCreatedListener]);
    await publishTestEvent(t.bus, 'order.created', order);

    await eventually(async () => (await replicaOf(t, order.id))?.version === 1, { what: 'order.updated applied' });
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'awaiting:payment', version: 1 });
    expect(await readStream(t.bus, `${DEAD_LETTER_PREFIX}.>`)).toEqual([]);
  });

  it('when the order is cancelled at version 2 after awaiting payment, then the replica ends cancelled at version 2', async () => {
    const t = await start();
    await t.listen(listeners);
    const order = await replicate(t, anOrder());
    await publishTestEvent(t.bus, 'order.updated', awaiting(order, 1));
    await eventually(async () => (await replicaOf(t, order.id))?.version === 1);

    await publishTestEvent(t.bus, 'order.cancelled', cancelled(order, 2));

    await eventually(async () => (await replicaOf(t, order.id))?.version === 2, { what: 'the cancel' });
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'cancelled', version: 2 });
  });

  it('when order.cancelled version 2 arrives before order.updated version 1, then the cancel waits and the replica ends cancelled, not awaiting payment', async () => {
    const t = await start();
    await t.listen([orderCreatedListener]);
    const order = await replicate(t, anOrder());
    await publishTestEvent(t.bus, 'order.cancelled', cancelled(order, 2));
    await t.listen([orderCancelledListener]);
    await eventually(async () => (await failedCount(t, 'order.cancelled')) >= 2, { what: 'version 2 to be retried' });
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'created', version: 0 });

    await t.listen([orderUpdatedListener]);
    await publishTestEvent(t.bus, 'order.updated', awaiting(order, 1));

    await eventually(async () => (await replicaOf(t, order.id))?.version === 2, { what: 'version 2' });
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'cancelled', version: 2 });
  });

  it('when a stale order.updated (a version already applied) arrives, then it is acked and the replica is unchanged', async () => {
    const t = await start();
    await t.listen(listeners);
    const order = await replicate(t, anOrder());
    await publishTestEvent(t.bus, 'order.cancelled', cancelled(order, 1));
    await eventually(async () => (await replicaOf(t, order.id))?.status === 'cancelled');

    await publishTestEvent(t.bus, 'order.updated', awaiting(order, 1));

    await eventually(async () => (await handledCount(t, 'order.updated')) === 1, { what: 'the stale update acked' });
    expect(await failedCount(t, 'order.updated')).toBe(0);
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when order.updated is redelivered after it was applied (lost ack), then it has no second effect', async () => {
    const t = await start();
    await t.listen([orderCreatedListener]);
    const order = await replicate(t, anOrder());
    await publishTestEvent(t.bus, 'order.updated', awaiting(order));
    await handleNextWithLostAck(t.service, orderUpdatedListener);
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'awaiting:payment', version: 1 });

    await t.listen([orderUpdatedListener]);

    await eventually(async () => (await handledCount(t, 'order.updated', 'duplicate')) === 1, { what: 'the duplicate' });
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'awaiting:payment', version: 1 });
    expect(await failedCount(t, 'order.updated')).toBe(0);
  });

  it('when order.updated carries a status off the contract, then it is dead-lettered at its first delivery and the replica is unchanged', async () => {
    const t = await start();
    await t.listen(listeners);
    const order = await replicate(t, anOrder());
    const bad = { ...awaiting(order), status: 'paid' };

    await publishTestEvent(t.bus, 'order.updated', bad);

    const dead = await eventually(async () => {
      const d = await readStream(t.bus, deadLetterSubject('payments-order-updated', 'order.updated'));
      return d.length === 1 && d;
    });
    expect(dead[0]!.payload).toEqual(bad);
    expect(dead[0]!.headers['Ticketing-Deliveries']).toBe('1');
    expect(await replicaOf(t, order.id)).toMatchObject({ status: 'created', version: 0 });
  });

  it('when an order awaiting payment is paid with a card token (POST /api/payments), then it is paid as before', async () => {
    const t = await start();
    await t.listen(listeners);
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));
    await publishTestEvent(t.bus, 'order.updated', awaiting(order));
    await eventually(async () => (await replicaOf(t, order.id))?.status === 'awaiting:payment');

    const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(201);
    expect(await paymentsOf(t, order.id)).toEqual([expect.objectContaining({ id: res.body.id, orderId: order.id, amountCents: 2000 })]);
  });
});
