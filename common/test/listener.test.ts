import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { deadLetterSubject } from '@ticketing/contracts';
import { PermanentFailure, RetryLater } from '../src/bus/failures.js';
import { defineListener, startListeners } from '../src/bus/listener.js';
import type { BaseConfig } from '../src/config/env.js';
import {
  eventually,
  fastListenerOptions,
  handleNextWithLostAck,
  publishTestEvent,
  readStream,
  jetStreamOf,
  type TestService,
} from '@ticketing/testkit';
import { inbox, widgets } from './fixtures/schema.js';
import { startFixtureService } from './fixtures/service.js';
import { ticketCreated, widgetCount } from './fixtures/widgets.js';

const opts = { retryDelayMs: 50, maxRetryDelayMs: 100, ackWaitMs: 1000 };

const services: TestService<BaseConfig>[] = [];
async function start(shared?: Parameters<typeof startFixtureService>[0], name?: string) {
  const t = await startFixtureService(shared, name);
  services.push(t);
  return t;
}
afterEach(async () => {
  for (const t of services.reverse()) await t.close();
  services.length = 0;
});


/** Inserts a widget per event; titled "fail" events fail for good, "flaky" ones until `flaky.passes`. */
const flaky = { passes: false };
const recordWidget = (calls: string[], handledBy = 'one') =>
  defineListener('ticket.created', async (event, { tx }) => {
    calls.push(event.title);
    if (event.title === 'fail') throw new PermanentFailure('cannot handle this one');
    if (event.title === 'flaky' && !flaky.passes) throw new Error('a bug, or a dependency not ready');
    await tx.insert(widgets).values({ id: event.id, name: event.title, handledBy });
  });


describe('listeners', () => {
  it('when an event arrives, then its effect and its inbox entry commit together, and it is acked', async () => {
    const t = await start();
    const calls: string[] = [];
    await t.listen([recordWidget(calls)], opts);
    const event = ticketCreated({ title: 'ok' });
    const eventId = await publishTestEvent(t.bus, 'ticket.created', event);

    await eventually(async () => (await widgetCount(t.service.database)) === 1);
    const [entry] = await t.service.database.db.select().from(inbox).where(eq(inbox.eventId, eventId));
    expect(entry).toMatchObject({ consumer: 'fixture-ticket-created', subject: 'ticket.created' });
    const info = await eventually(async () => {
      const i = await jetStreamOf(t.service).jsm.consumers.info(t.bus.env.NATS_STREAM, 'fixture-ticket-created');
      return i.num_ack_pending === 0 && i.num_pending === 0 && i;
    });
    expect(info.delivered.consumer_seq).toBe(1);
    expect(calls).toEqual(['ok']);
  });

  it('when an event is redelivered after its effect committed (ack lost), then it has no second effect', async () => {
    const t = await start();
    const calls: string[] = [];
    const listener = recordWidget(calls);
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated({ title: 'once' }));

    // First delivery: handled and committed, but the ack never reaches the server.
    await handleNextWithLostAck(t.service, listener, opts);
    expect(await widgetCount(t.service.database)).toBe(1);

    // The server redelivers after ack_wait; the running listener sees a duplicate.
    await t.listen([listener], opts);
    await eventually(
      async () => (await t.service.metrics.eventsHandled.get()).values.some((v) => v.labels.result === 'duplicate'),
      { what: 'the redelivery' },
    );
    // The inbox recognised it before the handler ran again.
    expect(calls).toEqual(['once']);
    expect(await widgetCount(t.service.database)).toBe(1);
  });

  it('when a handler fails with an error it does not call permanent, then the event is retried past any old budget, never dead-lettered, and applied once it passes', async () => {
    const t = await start();
    const calls: string[] = [];
    flaky.passes = false;
    await t.listen([recordWidget(calls)], opts);
    const id = await publishTestEvent(t.bus, 'ticket.created', ticketCreated({ title: 'flaky' }));
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated({ title: 'after' }));

    // Well past the 8 deliveries that used to end in a dead letter; later events flow meanwhile.
    await eventually(() => calls.filter((c) => c === 'flaky').length >= 12, { what: '12 deliveries', timeoutMs: 20_000 });
    expect(await widgetCount(t.service.database)).toBe(1);
    expect(t.service.retries.summary()).toMatchObject({ retrying: 1, causes: { error: 1 } });
    flaky.passes = true;
    await eventually(async () => (await widgetCount(t.service.database)) === 2);
    expect(await t.service.database.db.select().from(inbox).where(eq(inbox.eventId, id))).toHaveLength(1);
    expect(t.service.retries.summary().retrying).toBe(0);
    expect(await readStream(t.bus, 'deadletter.>')).toEqual([]);
  });

  it('when a handler says the failure is permanent, then the event goes to the dead letter subject after that one delivery and later events still flow', async () => {
    const t = await start();
    const calls: string[] = [];
    await t.listen([recordWidget(calls)], opts);
    const poison = ticketCreated({ title: 'fail' });
    const poisonId = await publishTestEvent(t.bus, 'ticket.created', poison);
    const after = ticketCreated({ title: 'after' });
    await publishTestEvent(t.bus, 'ticket.created', after);

    const dead = await eventually(async () => {
      const got = await readStream(t.bus, deadLetterSubject('fixture-ticket-created', 'ticket.created'));
      return got.length === 1 && got;
    });
    expect(dead[0]!.payload).toEqual(poison);
    expect(dead[0]!.headers).toMatchObject({
      'Ticketing-Event-Id': poisonId,
      'Ticketing-Consumer': 'fixture-ticket-created',
      'Ticketing-Reason': 'cannot handle this one',
      'Ticketing-Deliveries': '1',
    });
    await eventually(async () => (await widgetCount(t.service.database)) === 1);
    // Terminated: past the ack wait it is neither delivered again nor dead-lettered again.
    await new Promise((r) => setTimeout(r, opts.ackWaitMs + 500));
    expect(calls.filter((c) => c === 'fail')).toHaveLength(1);
    expect(await readStream(t.bus, 'deadletter.>')).toHaveLength(1);
    expect(await t.service.database.db.select().from(inbox).where(eq(inbox.eventId, poisonId))).toEqual([]);
  });

  it('when an event does not match its contract, then it goes straight to the dead letter subject', async () => {
    const t = await start();
    const calls: string[] = [];
    await t.listen([recordWidget(calls)], opts);
    await publishTestEvent(t.bus, 'ticket.created', { id: 'not-a-uuid', title: 5 });
    await publishTestEvent(t.bus, 'ticket.created', null, { raw: '{not json' });
    const dead = await eventually(async () => {
      const got = await readStream(t.bus, 'deadletter.>');
      return got.length === 2 && got;
    });
    expect(dead.map((d) => d.headers['Ticketing-Deliveries'])).toEqual(['1', '1']);
    expect(dead[0]!.headers['Ticketing-Reason']).toMatch(/^invalid payload/);
    expect(dead[1]!.headers['Ticketing-Reason']).toBe('payload is not JSON');
    expect(calls).toEqual([]);
  });

  it('when a handler says RetryLater, then the event is redelivered until it can be applied', async () => {
    const t = await start();
    let ready = false;
    let attempts = 0;
    await t.listen(
      [
        defineListener('ticket.created', async (event, { tx }) => {
          attempts++;
          if (!ready) throw new RetryLater('not yet');
          await tx.insert(widgets).values({ id: event.id, name: event.title });
        }),
      ],
      opts,
    );
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated());
    await eventually(() => attempts >= 2);
    expect(await widgetCount(t.service.database)).toBe(0);
    ready = true;
    await eventually(async () => (await widgetCount(t.service.database)) === 1);
  });

  it('when an event is handled, then its inbox entry travels with BEGIN and the commit costs no round trip of its own', async () => {
    const t = await start();
    const sent: string[] = [];
    // Every statement the service's pool sends from here, as the server receives it.
    t.service.database.pool.on('acquire', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        const text = args[0];
        sent.push(typeof text === 'string' ? text : (text as { text: string }).text);
        return query(...args);
      }) as typeof client.query;
    });
    await t.listen([recordWidget([])], opts);
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated({ title: 'counted' }));
    await eventually(async () => (await widgetCount(t.service.database)) === 1);

    // BEGIN with the inbox entry, the handler's one insert, COMMIT: three round trips, not four.
    const handled = sent.filter((text) => !/^select count/.test(text));
    expect(handled).toHaveLength(3);
    expect(handled[0]).toMatch(/^begin; insert into inbox .* on conflict do nothing returning event_id$/);
    expect(handled[1]).toMatch(/^insert into "widgets"/);
    expect(handled[2]).toBe('commit');
  });

  it('when two replicas share the durable consumer, then each event is handled exactly once', async () => {
    const one = await start(undefined, 'shared');
    const two = await start({ database: one.database, bus: one.bus }, 'shared');
    const calls: string[] = [];
    await startListeners(one.service, [recordWidget(calls, 'one')], { ...fastListenerOptions });
    const running = await startListeners(two.service, [recordWidget(calls, 'two')], { ...fastListenerOptions });
    const events = Array.from({ length: 40 }, (_, i) => ticketCreated({ title: `e${i}` }));
    await Promise.all(events.map((e) => publishTestEvent(one.bus, 'ticket.created', e)));

    await eventually(async () => (await widgetCount(one.service.database)) === 40, { what: '40 widgets' });
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.sort()).toEqual(events.map((e) => e.title).sort());
    const rows = await one.service.database.db.select().from(widgets);
    expect(new Set(rows.map((r) => r.id)).size).toBe(40);
    await running.stop();
  });
});
