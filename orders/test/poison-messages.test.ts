import { consumerName } from '@ticketing/contracts';
import { eventually, expectDeadLettered, publishPoison, publishTestEvent, recordingLogger } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createOrder, getOrder, replicaOf, replicateTicket, type Orders } from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Orders | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** An orders service that records its log. */
async function start() {
  const { logger, records } = recordingLogger();
  t = await startOrders({ logger });
  await t.listen(listeners);
  return { t, records };
}

const where = (subject: string) => ({ consumer: consumerName('orders', subject), subject });

describe('poison messages in the orders service', () => {
  it('when every subject it listens to gets an event that is not JSON and one off the contract, then each is dead-lettered, logged and counted, and the valid events behind them are applied', async () => {
    const { t, records } = await start();
    const subjects = ['ticket.created', 'ticket.updated', 'expiration.complete', 'payment.started', 'payment.created'];
    const poison = Object.fromEntries(await Promise.all(subjects.map(async (s) => [s, await publishPoison(t.bus, s)] as const)));

    // Valid events on the same subjects, published after the poison.
    const expiring = await replicateTicket(t, { title: 'Before' });
    await publishTestEvent(t.bus, 'ticket.updated', { ...expiring, version: 1, title: 'After', orderId: null });
    await eventually(async () => (await replicaOf(t, expiring.id))?.title === 'After', { what: 'ticket.updated applied' });
    const buyer = await aUser();
    const toExpire = await createOrder(t, buyer, expiring.id);
    const toPay = await createOrder(t, buyer, (await replicateTicket(t)).id);
    const toStart = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await publishTestEvent(t.bus, 'expiration.complete', { orderId: toExpire.id });
    await publishTestEvent(t.bus, 'payment.started', { id: randomUUID(), orderId: toStart.id });
    await publishTestEvent(t.bus, 'payment.created', { id: randomUUID(), orderId: toPay.id, chargeId: 'ch_1' });
    await eventually(async () => (await getOrder(t, buyer, toExpire.id)).status === 'cancelled', { what: 'expiry applied' });
    await eventually(async () => (await getOrder(t, buyer, toPay.id)).status === 'complete', { what: 'payment applied' });
    await eventually(async () => (await getOrder(t, buyer, toStart.id)).status === 'awaiting:payment', { what: 'payment start applied' });

    for (const subject of subjects) {
      const dead = await expectDeadLettered(t, records, where(subject), [poison[subject]!.notJson, poison[subject]!.offContract]);
      // Malformed events are never retried: one delivery each.
      expect(dead.map((d) => d.headers['Ticketing-Deliveries'])).toEqual(['1', '1']);
    }
  });

  it('when an event names an order this service never made, then it is dead-lettered at its first delivery, logged and counted, and the next one is applied', async () => {
    const { t, records } = await start();
    const unknownOrder = await publishTestEvent(t.bus, 'expiration.complete', { orderId: randomUUID() });
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);

    await publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id });

    await eventually(async () => (await getOrder(t, buyer, order.id)).status === 'cancelled', { what: 'the next expiry' });
    const [dead] = await expectDeadLettered(t, records, where('expiration.complete'), [unknownOrder]);
    expect(dead!.headers['Ticketing-Deliveries']).toBe('1');
    expect(dead!.headers['Ticketing-Reason']).toContain('not found');
  });
});
