import { randomUUID } from 'node:crypto';
import { eq, isNull } from 'drizzle-orm';
import pg from 'pg';
import type { PubAck } from '@nats-io/jetstream';
import { afterEach, describe, expect, it } from 'vitest';
import { advisoryLocks } from '../src/db/advisory-locks.js';
import { atCommit, literal } from '../src/db/database.js';
import { enqueueEvent } from '../src/outbox/enqueue.js';
import { publishOutboxRow } from '../src/outbox/relay.js';
import { eventually, readStream, type TestService } from '@ticketing/testkit';
import { outbox, widgets } from './fixtures/schema.js';
import { startFixtureService } from './fixtures/service.js';
import { ticketCreated } from './fixtures/widgets.js';
import type { BaseConfig } from '../src/config/env.js';


const services: TestService<BaseConfig>[] = [];
async function start(shared?: Parameters<typeof startFixtureService>[0]) {
  const t = await startFixtureService(shared);
  services.push(t);
  return t;
}
afterEach(async () => {
  // Replicas sharing a database close first; the owner drops the database and stream.
  for (const t of services.reverse()) await t.close();
  services.length = 0;
});

describe('outbox', () => {
  it('when the transaction commits, then the change and its event are both stored', async () => {
    const t = await start();
    const id = randomUUID();
    await t.service.database.transaction(async (tx) => {
      await tx.insert(widgets).values({ id, name: 'a' });
      await enqueueEvent(tx, 'ticket.created', { ...ticketCreated(), id });
    });
    const rows = await t.service.database.db.select().from(outbox);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subject: 'ticket.created', sentAt: null });
    expect((rows[0]!.payload as { id: string }).id).toBe(id);
  });

  it('when the transaction rolls back, then neither the change nor its event exists', async () => {
    const t = await start();
    const id = randomUUID();
    await expect(
      t.service.transaction(async (tx) => {
        await tx.insert(widgets).values({ id, name: 'a' });
        await enqueueEvent(tx, 'ticket.created', { ...ticketCreated(), id });
        throw new Error('business rule failed after the event was written');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await t.service.database.db.select().from(widgets)).toEqual([]);
    expect(await t.service.database.db.select().from(outbox)).toEqual([]);
    await t.service.relay.flush();
    expect(await readStream(t.bus, 'ticket.created')).toEqual([]);
  });

  it('when the statements sent with COMMIT fail, then nothing of the transaction is kept', async () => {
    const t = await start();
    const id = randomUUID();
    await expect(
      t.service.transaction(async (tx) => {
        await tx.insert(widgets).values({ id, name: 'a' });
        await enqueueEvent(tx, 'ticket.created', { ...ticketCreated(), id });
        // Fails only once the event's row is on its way, with the COMMIT.
        atCommit(tx, `insert into widgets (id, name) values (${literal(id)}, 'twice')`);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await t.service.database.db.select().from(widgets)).toEqual([]);
    expect(await t.service.database.db.select().from(outbox)).toEqual([]);
    // The connection went back to the pool usable.
    await t.service.transaction((tx) => tx.insert(widgets).values({ id, name: 'b' }));
    expect(await t.service.database.db.select().from(widgets)).toHaveLength(1);
  });

  it('when an event is written outside a transaction of the service, then it is stored at once', async () => {
    const t = await start();
    await enqueueEvent(t.service.database.db, 'ticket.created', ticketCreated());
    expect(await t.service.database.db.select().from(outbox)).toHaveLength(1);
  });

  it('when an event does not match its contract, then it is refused before it is stored', async () => {
    const t = await start();
    await expect(
      t.service.transaction((tx) =>
        enqueueEvent(tx, 'ticket.created', { ...ticketCreated(), price: -1 }),
      ),
    ).rejects.toThrow();
    expect(await t.service.database.db.select().from(outbox)).toEqual([]);
  });

  it('when a transaction commits, then the relay publishes its events right away, in order, with the event id', async () => {
    const t = await start();
    const events = [ticketCreated(), ticketCreated(), ticketCreated()];
    await t.service.transaction(async (tx) => {
      for (const e of events) await enqueueEvent(tx, 'ticket.created', e);
    });
    const published = await eventually(async () => {
      const got = await readStream(t.bus, 'ticket.created');
      return got.length === 3 && got;
    });
    expect(published.map((e) => e.payload)).toEqual(events);
    const rows = await t.service.database.db.select().from(outbox).orderBy(outbox.seq);
    expect(published.map((e) => e.headers['Nats-Msg-Id'])).toEqual(rows.map((r) => r.id));
    await eventually(async () => {
      const unsent = await t.service.database.db.select().from(outbox).where(isNull(outbox.sentAt));
      return unsent.length === 0;
    });
  });

  it('when more events than one batch are waiting, then each is published once, in order', async () => {
    const t = await start();
    const events = Array.from({ length: 250 }, ticketCreated);
    await t.service.database.transaction(async (tx) => {
      for (const e of events) await enqueueEvent(tx, 'ticket.created', e);
    });
    await t.service.relay.flush();
    const published = await readStream(t.bus, 'ticket.created');
    expect(published.map((e) => e.payload)).toEqual(events);
    expect(await t.service.database.db.select().from(outbox).where(isNull(outbox.sentAt))).toEqual([]);
  });

  it('when the relay dies after publishing but before marking sent, then the re-publish is dropped by JetStream', async () => {
    const t = await start();
    await t.service.relay.stop(); // its passes are the test's own from here
    await t.service.database.transaction((tx) => enqueueEvent(tx, 'ticket.created', ticketCreated()));
    const [row] = await t.service.database.db.select().from(outbox);
    // What the relay does before it marks the row: publish. Then it "crashes".
    const first = (await publishOutboxRow(t.service.bus, row!)) as PubAck;
    expect(first.duplicate).toBe(false);
    expect(await t.service.database.db.select().from(outbox).where(isNull(outbox.sentAt))).toHaveLength(1);

    // The next pass publishes the still-unsent row again.
    await t.service.relay.flush();

    const published = await readStream(t.bus, 'ticket.created');
    expect(published).toHaveLength(1);
    const [marked] = await t.service.database.db.select().from(outbox).where(eq(outbox.id, row!.id));
    expect(marked!.sentAt).not.toBeNull();
  });

  it('when a process crashed leaving unsent rows, then the next start publishes them', async () => {
    const crashed = await start();
    const leftovers = [ticketCreated(), ticketCreated()];
    // Committed with the relay stopped, as if the process died right after the commit.
    await crashed.service.relay.stop();
    await crashed.service.database.transaction(async (tx) => {
      for (const e of leftovers) await enqueueEvent(tx, 'ticket.created', e);
    });
    expect(await readStream(crashed.bus, 'ticket.created')).toEqual([]);

    const restarted = await start({ database: crashed.database, bus: crashed.bus });
    restarted.service.relay.start();

    const published = await eventually(async () => {
      const got = await readStream(crashed.bus, 'ticket.created');
      return got.length === 2 && got;
    });
    expect(published.map((e) => e.payload)).toEqual(leftovers);
  });

  it('when an event is committed without a word to this process, then its relay hears the commit and publishes it, with no timer', async () => {
    const t = await start(); // its relay never started: no timer runs
    const event = ticketCreated();
    // A replica that crashed right after its commit, or any other writer: only the outbox's trigger tells.
    const other = new pg.Client({ connectionString: t.database.url });
    await other.connect();
    try {
      await other.query('insert into outbox (id, subject, payload) values ($1, $2, $3)', [randomUUID(), 'ticket.created', event]);
    } finally {
      await other.end();
    }
    const published = await eventually(async () => {
      const got = await readStream(t.bus, 'ticket.created');
      return got.length === 1 && got;
    }, { what: 'the event, published on the commit\'s notification' });
    expect(published[0]!.payload).toEqual(event);
  });

  it('when a replica commits while another holds the relay lock mid-pass, then the holder publishes it after its pass, with no timer', async () => {
    const holder = await start();
    // The holder's pass stops at its first publish, lock held and outbox already read.
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let publishing = () => {};
    const reachedPublish = new Promise<void>((resolve) => (publishing = resolve));
    const publish = holder.service.bus.publish.bind(holder.service.bus);
    holder.service.bus.publish = async (...args) => {
      publishing();
      await gate;
      return publish(...args);
    };
    const first = ticketCreated();
    const second = ticketCreated();
    await holder.service.transaction((tx) => enqueueEvent(tx, 'ticket.created', first));
    await reachedPublish;

    // Neither relay runs a timer: the committer's finds the lock held and leaves its event to the holder.
    const committer = await start({ database: holder.database, bus: holder.bus });
    await committer.service.transaction((tx) => enqueueEvent(tx, 'ticket.created', second));
    await new Promise((r) => setTimeout(r, 300));
    expect(await readStream(holder.bus, 'ticket.created')).toEqual([]);
    release();

    const published = await eventually(async () => {
      const got = await readStream(holder.bus, 'ticket.created');
      return got.length === 2 && got;
    }, { timeoutMs: 5000, what: 'both events, the second by the holder\'s next pass' });
    expect(published.map((e) => e.payload)).toEqual([first, second]);
  });

  it('when the relay runs, then it reports the backlog and counts published events', async () => {
    const t = await start();
    await t.service.database.transaction((tx) => enqueueEvent(tx, 'ticket.created', ticketCreated()));
    await t.service.relay.flush();
    const metrics = await t.service.metrics.registry.metrics();
    expect(metrics).toMatch(/events_published_total\{subject="ticket.created",service="fixture"\} 1/);
    expect(metrics).toMatch(/outbox_backlog\{service="fixture"\} 0/);
  });
});
