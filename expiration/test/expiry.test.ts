import { outbox } from '@ticketing/common';
import { eventually, handleNextWithLostAck, publishTestEvent, scrapeMetrics } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { afterEach, describe, expect, it } from 'vitest';
import { expireOrder } from '../src/jobs/expire-order.js';
import { EXPIRY_QUEUE, pgBossOptions } from '../src/expiry-queue.js';
import {
  completions,
  completionsReaching,
  inMs,
  jobsFor,
  orderCreated,
  orderCreatedHandled,
  scheduledJob,
  sleep,
  sleepUntil,
} from './helpers.js';
import { startExpiration, type Expiration, type StartOptions } from './setup.js';

const started: Expiration[] = [];
async function start(options?: StartOptions) {
  const t = await startExpiration(options);
  started.push(t);
  return t;
}
afterEach(async () => {
  const closing = started.splice(0).reverse();
  for (const t of closing) await t.close();
});

describe('expiration: order.created schedules expiration.complete', () => {
  it('when an order expires in 1 s, then expiration.complete {orderId} is published after 1 s and not before', async () => {
    const t = await start();
    await t.listen(t.listeners);
    const publishedAt = Date.now();
    const expiresAt = new Date(publishedAt + 1000);
    const order = orderCreated(expiresAt);
    await publishTestEvent(t.bus, 'order.created', order);

    const job = await scheduledJob(t, order.id);
    expect(job).toMatchObject({ id: order.id, state: 'created' });
    expect(job.startAfter.getTime()).toBe(expiresAt.getTime());
    await sleepUntil(publishedAt + 300);
    expect(await completions(t.bus)).toEqual([]);

    expect(await completionsReaching(t.bus, 1)).toEqual([{ orderId: order.id }]);
    const seenAt = Date.now();
    expect(seenAt - expiresAt.getTime()).toBeLessThan(2000);
    // The event was written (in the job's transaction) only once the order's time was up.
    const [row] = await t.service.database.db.select().from(outbox).where(eq(outbox.subject, 'expiration.complete'));
    expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect((await jobsFor(t, order.id)).map((j) => j.state)).toEqual(['completed']);
  });

  it('when an order has already expired, then expiration.complete is published promptly', async () => {
    const t = await start();
    await t.listen(t.listeners);
    const order = orderCreated(inMs(-5_000));
    const publishedAt = Date.now();
    await publishTestEvent(t.bus, 'order.created', order);

    expect(await completionsReaching(t.bus, 1, 3_000)).toEqual([{ orderId: order.id }]);
    expect(Date.now() - publishedAt).toBeLessThan(2000);
  });

  it('when the same order.created arrives twice under different event ids, then there is one job and one expiration.complete', async () => {
    const t = await start();
    await t.listen(t.listeners);
    const order = orderCreated(inMs(700));
    await publishTestEvent(t.bus, 'order.created', order);
    await publishTestEvent(t.bus, 'order.created', order);

    // Both pass the inbox (they are different events); the job id (the order id) stops the second.
    await eventually(async () => (await orderCreatedHandled(t, 'handled')) === 2, { what: 'both handled' });
    expect(await jobsFor(t, order.id)).toHaveLength(1);
    expect(await completionsReaching(t.bus, 1)).toEqual([{ orderId: order.id }]);
    await sleep(1000); // two polls: a second job would have run by now
    expect(await completions(t.bus)).toEqual([{ orderId: order.id }]);
    expect(await jobsFor(t, order.id)).toHaveLength(1);
  });

  it('when order.created is redelivered after it was handled (lost ack), then it schedules nothing more', async () => {
    const t = await start();
    const order = orderCreated(inMs(1500));
    await publishTestEvent(t.bus, 'order.created', order);
    await handleNextWithLostAck(t.service, t.listeners[0]!);
    expect(await jobsFor(t, order.id)).toHaveLength(1);

    await t.listen(t.listeners);
    await eventually(async () => (await orderCreatedHandled(t, 'duplicate')) === 1, { what: 'redelivery' });
    expect(await jobsFor(t, order.id)).toHaveLength(1);
    expect(await completionsReaching(t.bus, 1)).toEqual([{ orderId: order.id }]);
    await sleep(1000);
    expect(await completions(t.bus)).toEqual([{ orderId: order.id }]);
  });

  it('when an order is scheduled twice directly, then the second time is a no-op, also once its job is done', async () => {
    const t = await start();
    const orderId = randomUUID();
    expect(await t.queue.schedule(orderId, inMs(-1))).toBe(true);
    expect(await t.queue.schedule(orderId, inMs(60_000))).toBe(false);
    await completionsReaching(t.bus, 1);
    expect(await t.queue.schedule(orderId, inMs(-1))).toBe(false);
    await sleep(1000);
    expect(await completions(t.bus)).toEqual([{ orderId }]);
    expect(await jobsFor(t, orderId)).toMatchObject([{ id: orderId, state: 'completed' }]);
  });

  it('when publishing the event fails, then pg-boss retries the job and the event is published once', async () => {
    const t = await start();
    await t.listen(t.listeners);
    const pool = t.service.database.pool;
    const order = orderCreated(inMs(-1));
    // A real failure: the outbox table is gone for a while, so the job's transaction fails.
    await pool.query('alter table outbox rename to outbox_away');
    try {
      await publishTestEvent(t.bus, 'order.created', order);
      await eventually(async () => (await jobsFor(t, order.id))[0]?.state === 'retry', {
        what: 'job waiting for retry',
      });
    } finally {
      await pool.query('alter table outbox_away rename to outbox');
    }

    expect(await completionsReaching(t.bus, 1, 6_000)).toEqual([{ orderId: order.id }]);
    const [job] = await jobsFor(t, order.id);
    expect(job).toMatchObject({ state: 'completed' });
    expect(job!.retryCount).toBeGreaterThanOrEqual(1);
    await sleep(700);
    expect(await completions(t.bus)).toHaveLength(1);
  });

  it('when pg-boss takes a job back while its handler runs (as once it is past expireInSeconds), then the handler\'s event is rolled back and the retry publishes it once', async () => {
    const t = await start({ work: false });
    // Another pg-boss on the schema fails the job mid-handler, as supervision does with a job active too long.
    const other = new PgBoss({ connectionString: t.database.url, schema: 'pgboss', supervise: false, schedule: false, migrate: false });
    await other.start();
    try {
      const orderId = randomUUID();
      let runs = 0;
      await t.queue.work(async (tx, id) => {
        runs++;
        await expireOrder(tx, id);
        if (runs === 1) await other.fail(EXPIRY_QUEUE, id);
      });
      await t.queue.schedule(orderId, inMs(-1));

      await eventually(async () => (await jobsFor(t, orderId))[0]?.state === 'completed', {
        what: 'job completed',
        timeoutMs: 6_000,
      });
      await sleep(700); // the relay publishes right after a commit
      expect(await completions(t.bus)).toEqual([{ orderId }]);
      expect(runs).toBe(2);
    } finally {
      await other.stop();
    }
  });
});

describe('expiration: probes', () => {
  it('when the expiry queue runs, then /readyz is ready; once it is stopped, /readyz answers 503', async () => {
    const t = await start();
    const ready = await t.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks).toEqual({ accepting: true, database: true, bus: true, expiryQueue: true });
    expect((await t.http.get('/healthz')).status).toBe(200);
    expect((await scrapeMetrics(t.service)).status).toBe(200);

    await t.queue.stop();
    const notReady = await t.http.get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.status).toBe('not ready');
    expect(notReady.body.checks).toEqual({ accepting: true, database: true, bus: true, expiryQueue: false });
    expect((await t.http.get('/healthz')).status).toBe(200);
  });

  it('when anything but the probes is requested, then it answers 404 in the shared error shape (no public API)', async () => {
    const t = await start({ work: false });
    const res = await t.http.get('/api/expiration');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });
  });
});

describe("expiration: pg-boss's connections", () => {
  it('when jobs are scheduled again and again, then the job insert is prepared once on a connection of its pool, not parsed and planned each time', async () => {
    const t = await start({ work: false });
    const boss = new PgBoss(pgBossOptions(t.service));
    await boss.start();
    try {
      for (let i = 0; i < 6; i++) await boss.send(EXPIRY_QUEUE, { orderId: randomUUID() }, { startAfter: inMs(60_000) });

      // Every connection of its pool at once, each asked what it has prepared.
      const { pool } = boss.getDb() as unknown as { pool: pg.Pool };
      const connections = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
      const inserts: string[] = [];
      for (const connection of connections) {
        const { rows } = await connection.query<{ statement: string }>(`select statement from pg_prepared_statements where statement ilike '%insert into pgboss.job%'`);
        inserts.push(...rows.map((row) => row.statement));
        connection.release();
      }
      expect(inserts.length).toBeGreaterThanOrEqual(1);
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  });
});
