import { count, isNull, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { STREAM_MAX_AGE_MS } from '../src/bus/bus.js';
import type { BaseConfig } from '../src/config/env.js';
import { enqueueEvent } from '../src/outbox/enqueue.js';
import { INBOX_KEEP_MS, messagingRetention, pruneInbox } from '../src/outbox/retention.js';
import { createTestService, eventually, publishTestEvent, jetStreamOf, type TestService } from '@ticketing/testkit';
import { inbox, outbox } from './fixtures/schema.js';
import { migrationsFolder } from './fixtures/service.js';
import { ticketCreated } from './fixtures/widgets.js';

const MiB = 1 << 20;
const services: TestService<BaseConfig>[] = [];
async function start(env: Record<string, string>, shared?: TestService<BaseConfig>) {
  const t = await createTestService({ name: 'fixture', migrationsFolder, env, shared: shared && { database: shared.database, bus: shared.bus } });
  services.push(t);
  return t;
}
afterEach(async () => {
  for (const t of services.reverse()) await t.close();
  services.length = 0;
});


describe('retention', () => {
  it('when inbox rows are older than the stream can redeliver, then they are pruned in batches and younger ones kept', async () => {
    const t = await start({});
    expect(INBOX_KEEP_MS).toBeGreaterThan(STREAM_MAX_AGE_MS);
    const { db } = t.service.database;
    // 12,000 past the bound (more than two batches), 3 just inside it.
    await db.execute(sql`insert into inbox (event_id, consumer, subject, processed_at)
      select 'old-' || i, 'c', 'ticket.created', now() - ${`${INBOX_KEEP_MS / 1000 + 3600} seconds`}::interval from generate_series(1, 12000) i`);
    await db.execute(sql`insert into inbox (event_id, consumer, subject, processed_at)
      select 'young-' || i, 'c', 'ticket.created', now() - ${`${INBOX_KEEP_MS / 1000 - 3600} seconds`}::interval from generate_series(1, 3) i`);

    expect(await pruneInbox(db, new Date(Date.now() - INBOX_KEEP_MS))).toBe(12_000);
    const left = await db.select({ eventId: inbox.eventId }).from(inbox);
    expect(left.map((r) => r.eventId).sort()).toEqual(['young-1', 'young-2', 'young-3']);
  });

  it("when the stream is made, then it is limited to NATS_STREAM_MAX_BYTES and refuses new events when full; a service with another limit brings an existing stream to its own", async () => {
    const t = await start({ NATS_STREAM_MAX_BYTES: String(2 * MiB) });
    const stream = () => jetStreamOf(t.service).jsm.streams.info(t.bus.env.NATS_STREAM);
    expect((await stream()).config).toMatchObject({ max_bytes: 2 * MiB, discard: 'new' });
    await start({ NATS_STREAM_MAX_BYTES: String(MiB) }, t);
    expect((await stream()).config).toMatchObject({ max_bytes: MiB, discard: 'new' });
  });

  it('when the stream is full, then new events wait in the outbox, the unread ones stay, and the events go out once there is room', async () => {
    const t = await start({ NATS_STREAM_MAX_BYTES: String(MiB) });
    const first = await publishTestEvent(t.bus, 'ticket.created', ticketCreated());
    // Fill it to the last byte: messages of 100 KiB, then 1 KiB, then a few bytes, each until refused.
    for (const size of [100 * 1024, 1024, 1]) {
      await expect(
        (async () => {
          for (;;) await publishTestEvent(t.bus, 'ticket.created', null, { raw: 'x'.repeat(size) });
        })(),
      ).rejects.toThrow(/maximum bytes exceeded/i);
    }

    await t.service.transaction((tx) => enqueueEvent(tx, 'ticket.created', ticketCreated()));
    await t.service.relay.flush();
    const unsent = async () => (await t.service.database.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt)))[0]!.n;
    expect(await unsent()).toBe(1);
    // Nothing was discarded to make room: the first event is still there.
    const { jsm } = jetStreamOf(t.service);
    expect((await jsm.streams.getMessage(t.bus.env.NATS_STREAM, { seq: 1 }))?.header.get('Nats-Msg-Id')).toBe(first);

    // Old events age out (here: purged), and the waiting one goes out.
    await jsm.streams.purge(t.bus.env.NATS_STREAM);
    await t.service.relay.flush();
    expect(await unsent()).toBe(0);
  });

  it("when the retention worker runs, then the stream's size and limit are in the metrics", async () => {
    const t = await start({ NATS_STREAM_MAX_BYTES: String(MiB) });
    await publishTestEvent(t.bus, 'ticket.created', ticketCreated());
    const worker = messagingRetention(t.service, 100);
    await worker.start();
    try {
      const usage = async () => Object.fromEntries((await t.service.metrics.streamUsage.get()).values.map((v) => [v.labels.measure, v.value]));
      await eventually(async () => (await usage()).messages === 1);
      expect(await usage()).toMatchObject({ messages: 1, max_bytes: MiB, bytes: expect.any(Number) });
      expect((await usage()).bytes).toBeGreaterThan(0);
    } finally {
      await worker.stop();
    }
  });
});
