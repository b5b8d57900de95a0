import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { defineListener } from '../src/bus/listener.js';
import type { BaseConfig } from '../src/config/env.js';
import { eventually, publishTestEvent, jetStreamOf, type TestService } from '@ticketing/testkit';
import { widgets } from './fixtures/schema.js';
import { startFixtureService } from './fixtures/service.js';
import { widgetCount } from './fixtures/widgets.js';

// An ack wait well past the time a handler is held up, so nothing is redelivered meanwhile.
const opts = { retryDelayMs: 50, maxRetryDelayMs: 100, ackWaitMs: 30_000, concurrency: 4 };

const services: TestService<BaseConfig>[] = [];
afterEach(async () => {
  for (const t of services.splice(0).reverse()) await t.close();
});

/** ticket.updated events of two tickets; a "slow" one waits for `release()` before it commits. */
function ticketUpdates(bus: TestService<BaseConfig>['bus']) {
  const handled: string[] = [];
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const ticket = { a: randomUUID(), b: randomUUID() };
  const name = (id: string) => (id === ticket.a ? 'a' : 'b');
  const listener = defineListener('ticket.updated', async (event, { tx }) => {
    if (event.title === 'slow') await gate;
    await tx.insert(widgets).values({ id: randomUUID(), name: `${name(event.id)}${event.version}` });
    handled.push(`${name(event.id)}${event.version}`);
  });
  const publish = (id: string, version: number, title = 'Show') =>
    publishTestEvent(bus, 'ticket.updated', { id, version, title, price: 10, userId: randomUUID(), orderId: null });
  return { handled, release, ticket, listener, publish };
}

describe('listeners, concurrently', () => {
  it('when one record\'s handler is slow, then events of other records are handled meanwhile, and each record\'s in arrival order', async () => {
    const t = await startFixtureService();
    services.push(t);
    const { handled, release, ticket, listener, publish } = ticketUpdates(t.bus);
    await publish(ticket.a, 1, 'slow');
    await publish(ticket.a, 2);
    for (let v = 1; v <= 5; v++) await publish(ticket.b, v);
    await t.listen([listener], opts);

    // Ticket b's five pass ticket a's held one, in their order; a's second waits behind its first.
    await eventually(() => handled.length === 5, { what: 'ticket b\'s events' });
    expect(handled).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    release();
    await eventually(() => handled.length === 7, { what: 'ticket a\'s events' });
    expect(handled.slice(5)).toEqual(['a1', 'a2']);
    expect(await widgetCount(t.service.database)).toBe(7);
    const info = await eventually(async () => {
      const i = await jetStreamOf(t.service).jsm.consumers.info(t.bus.env.NATS_STREAM, 'fixture-ticket-updated');
      return i.num_ack_pending === 0 && i.num_pending === 0 && i;
    }, { what: 'every event acked' });
    expect(info.delivered.consumer_seq).toBe(7); // each delivered once
  });

  it('when the listeners stop with a handler under way, then stopping waits for it to commit and be acked', async () => {
    const t = await startFixtureService();
    services.push(t);
    const { handled, release, ticket, listener, publish } = ticketUpdates(t.bus);
    const running = await t.listen([listener], opts);
    await publish(ticket.a, 1, 'slow');
    await publish(ticket.b, 1);
    await eventually(() => handled.includes('b1'), { what: 'the other record\'s event' });

    let stopped = false;
    const stopping = running.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(handled).toEqual(['b1', 'a1']);
    // An ack is sent without waiting for the server: flushed, it has reached the server.
    const bus = jetStreamOf(t.service);
    await bus.nc.flush();
    const info = await bus.jsm.consumers.info(t.bus.env.NATS_STREAM, 'fixture-ticket-updated');
    expect(info.num_ack_pending).toBe(0);
  });
});
