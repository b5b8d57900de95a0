import { sql } from 'drizzle-orm';
import { Router } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryLater } from '../src/bus/failures.js';
import { defineListener } from '../src/bus/listener.js';
import type { BaseConfig } from '../src/config/env.js';
import { createServiceApp } from '../src/service/create-app.js';
import {
  createTestService,
  eventually,
  publishTestEvent,
  readStream,
  recordingLogger,
  shutOffDatabase,
  type TestService,
} from '@ticketing/testkit';
import { widgets } from './fixtures/schema.js';
import { migrationsFolder } from './fixtures/service.js';
import { recordWidget, ticketCreated, widgetCount } from './fixtures/widgets.js';

const opts = { retryDelayMs: 50, maxRetryDelayMs: 200, ackWaitMs: 2000 };

let t: TestService<BaseConfig> | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const counted = async (metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>) =>
  (await metric.get()).values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((n, v) => n + v.value, 0);

describe('long outages', () => {
  it('when the database refuses connections for longer than the old retry budget, then the event waits, shows in readiness, metrics and a bounded log, and is applied once it is back', async () => {
    const { logger, records } = recordingLogger();
    t = await createTestService({ name: 'fixture', migrationsFolder, logger });
    const app = createServiceApp(t.service, Router());
    await t.listen([recordWidget], opts);
    const outage = await shutOffDatabase(t.database.url);
    let restored = false;
    try {
      await publishTestEvent(t.bus, 'ticket.created', ticketCreated());
      // Three times the 8 deliveries after which such an event used to be dead-lettered.
      await eventually(async () => (await counted(t!.service.metrics.eventsFailed, { cause: 'unavailable' })) >= 24, {
        what: '24 failed deliveries',
        timeoutMs: 30_000,
      });
      const ready = await request(app).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe(false);
      expect(ready.body.events).toMatchObject({ retrying: 1, causes: { unavailable: 1 } });
      // One line for the lot, not one per delivery.
      expect(records.filter((r) => r.msg === 'event handling failed; will retry')).toHaveLength(1);
      expect(records.filter((r) => r.msg === 'event handling failed; will retry')[0]).toMatchObject({
        level: 'warn',
        cause: 'unavailable',
        reason: expect.stringMatching(/not currently accepting connections/),
      });

      await outage.restore();
      restored = true;
      await eventually(async () => (await widgetCount(t!.service.database)) === 1, { what: 'the event applied', timeoutMs: 30_000 });
    } finally {
      if (!restored) await outage.restore();
    }
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.events).toMatchObject({ retrying: 0 });
    expect(await readStream(t.bus, 'deadletter.>')).toEqual([]);
    expect(records.filter((r) => r.msg === 'event moved to dead letter')).toEqual([]);
  });

  it('when the database cuts a connection a transaction holds between two queries, then that transaction fails, the process carries on, and the next one succeeds once it is back', async () => {
    const { logger, records } = recordingLogger();
    t = await createTestService({ name: 'fixture', migrationsFolder, logger });
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    // As the outbox relay holds its transaction while it publishes: a connection handed out, idle.
    const holding = t.service.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      entered();
      await held;
      await tx.execute(sql`select 1`);
    });
    await inside;
    const outage = await shutOffDatabase(t.database.url);
    try {
      await eventually(() => records.some((r) => r.msg === 'database connection failed'), { what: 'the cut connection logged' });
      release();
      await expect(holding).rejects.toThrow();
    } finally {
      await outage.restore();
    }
    await eventually(() => t!.service.database.ping().then(() => true, () => false), { what: 'a new connection' });
  });

  it('when a version gap lasts past EVENT_STUCK_AFTER_SECONDS, then the event is logged and counted as stuck once, and still retried, never dropped', async () => {
    const { logger, records } = recordingLogger();
    t = await createTestService({ name: 'fixture', migrationsFolder, logger, env: { EVENT_STUCK_AFTER_SECONDS: '1' } });
    let gapClosed = false;
    let deliveries = 0;
    await t.listen(
      [
        defineListener('ticket.created', async (event, { tx }) => {
          deliveries++;
          if (!gapClosed) throw new RetryLater('ticket version 3 arrived before version 2');
          await tx.insert(widgets).values({ id: event.id, name: event.title });
        }),
      ],
      opts,
    );
    const eventId = await publishTestEvent(t.bus, 'ticket.created', ticketCreated());
    await eventually(async () => (await counted(t!.service.metrics.eventsStuck, { cause: 'out_of_order' })) === 1, { what: 'stuck' });
    const stuckAt = deliveries;
    await eventually(() => deliveries >= stuckAt + 5, { what: 'more deliveries' });
    expect(await counted(t.service.metrics.eventsStuck, {})).toBe(1);
    expect(records.filter((r) => r.msg === 'event stuck: still retrying')).toEqual([
      expect.objectContaining({ level: 'error', eventId, cause: 'out_of_order' }),
    ]);
    expect(t.service.retries.summary()).toMatchObject({ retrying: 1, stuck: 1 });

    gapClosed = true;
    await eventually(async () => (await widgetCount(t!.service.database)) === 1);
    expect(t.service.retries.summary()).toMatchObject({ retrying: 0, stuck: 0 });
    expect(await readStream(t.bus, 'deadletter.>')).toEqual([]);
  });
});
