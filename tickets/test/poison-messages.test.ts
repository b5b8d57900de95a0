import { consumerName } from '@ticketing/contracts';
import {
  aUser,
  eventually,
  expectDeadLettered,
  publishPoison,
  publishTestEvent,
  recordingLogger,
} from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createTicket, getTicket, reserve, type TicketBody, type Tickets } from './helpers.js';
import { startTickets } from './setup.js';

let t: Tickets | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A tickets service that records its log. */
async function start() {
  const { logger, records } = recordingLogger();
  t = await startTickets(undefined, { logger });
  await t.listen(listeners);
  return { t, records };
}

const where = (subject: string) => ({ consumer: consumerName('tickets', subject), subject });
const orderCreated = (ticket: TicketBody) => ({
  id: randomUUID(),
  version: 0,
  status: 'created',
  userId: randomUUID(),
  expiresAt: new Date(Date.now() + 900_000).toISOString(),
  ticket: { id: ticket.id, price: ticket.price },
});

describe('poison messages in the tickets service', () => {
  it('when order.created and order.cancelled each get an event that is not JSON and one off the contract, then each is dead-lettered, logged and counted, and the valid events behind them are applied', async () => {
    const { t, records } = await start();
    const created = await publishPoison(t.bus, 'order.created');
    const cancelled = await publishPoison(t.bus, 'order.cancelled');
    const ticket = await createTicket(t, await aUser());

    const orderId = await reserve(t, ticket);
    await publishTestEvent(t.bus, 'order.cancelled', { id: orderId, version: 1, ticket: { id: ticket.id } });

    await eventually(async () => {
      const now = await getTicket(t, ticket.id);
      return now.orderId === null && now.version === 2;
    }, { what: 'the ticket released' });
    await expectDeadLettered(t, records, where('order.created'), [created.notJson, created.offContract]);
    await expectDeadLettered(t, records, where('order.cancelled'), [cancelled.notJson, cancelled.offContract]);
  });

  it('when an event names a ticket this service never had, then it is dead-lettered at its first delivery, logged and counted, and the next one is applied', async () => {
    const { t, records } = await start();
    const unknownTicket = await publishTestEvent(t.bus, 'order.created', orderCreated({ id: randomUUID(), price: 5 } as TicketBody));
    const ticket = await createTicket(t, await aUser());
    const next = orderCreated(ticket);

    await publishTestEvent(t.bus, 'order.created', next);

    await eventually(async () => (await getTicket(t, ticket.id)).orderId === next.id, { what: 'the next reservation' });
    const [dead] = await expectDeadLettered(t, records, where('order.created'), [unknownTicket]);
    expect(dead!.headers['Ticketing-Deliveries']).toBe('1');
    expect(dead!.headers['Ticketing-Reason']).toContain('not found');
  });
});
