import { createTestService, eventually, publishTestEvent } from '@ticketing/testkit';
import { createRequire } from 'node:module';
import PgBoss10 from 'pg-boss-v10';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { EXPIRY_QUEUE } from '../src/expiry-queue.js';
import { completions, completionsReaching, inMs, jobsFor, orderCreated, orderCreatedHandled, sleep, sleepUntil } from './helpers.js';
import { startExpiration } from './setup.js';

/** The schema version pg-boss 12 installs (its package.json says which). */
const pgBoss12Schema: number = createRequire(import.meta.url)('pg-boss/package.json').pgboss.schema;

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const t of started.splice(0).reverse()) await t.close();
});

describe('upgrading from pg-boss 10', () => {
  it('when the database holds pg-boss 10 jobs (due, pending, active, finished), then pg-boss 12 replicas take them over: each fires once at its time, and an order already scheduled is not scheduled again', async () => {
    const home = await createTestService({ name: 'expiration', migrationsFolder });
    started.push(home);
    const pool = home.service.database.pool;
    const schemaVersion = async () => (await pool.query('select version from pgboss.version')).rows[0].version;

    // The service as it ran on pg-boss 10.4.2: its options and queue settings, as in expiry-queue.ts then.
    const v10 = new PgBoss10({
      connectionString: home.database.url,
      schema: 'pgboss',
      application_name: 'expiration-pgboss',
      max: 5,
      schedule: false,
      supervise: false, // maintenance is run below, by hand
      archiveCompletedAfterSeconds: 1, // so a finished job reaches pgboss.archive, as one a day old would have
    });
    await v10.start();
    await v10.createQueue(EXPIRY_QUEUE, {
      name: EXPIRY_QUEUE,
      policy: 'standard',
      retryLimit: 12,
      retryDelay: 1,
      retryBackoff: true,
      expireInSeconds: 15,
    });
    const send = (orderId: string, due: Date) => v10.send(EXPIRY_QUEUE, { orderId }, { id: orderId, startAfter: due });
    // Expired and published under pg-boss 10, then archived.
    const finished = orderCreated(inMs(-1000));
    await send(finished.id, new Date(finished.expiresAt));
    const [finishedJob] = await v10.fetch(EXPIRY_QUEUE);
    await v10.complete(EXPIRY_QUEUE, finishedJob!.id);
    await sleep(1100);
    await v10.maintain();
    // Taken by a pg-boss 10 worker that was stopped before it finished.
    const taken = orderCreated(inMs(-500));
    await send(taken.id, new Date(taken.expiresAt));
    expect(await v10.fetch(EXPIRY_QUEUE)).toMatchObject([{ id: taken.id }]);
    // Still to come: one soon, one later.
    const soon = orderCreated(inMs(6_000));
    const later = orderCreated(inMs(9_000));
    await send(soon.id, new Date(soon.expiresAt));
    await send(later.id, new Date(later.expiresAt));
    await v10.stop({ graceful: false, wait: true });
    expect(await schemaVersion()).toBe(24);
    const { rows: archived } = await pool.query('select id from pgboss.archive');
    expect(archived).toEqual([{ id: finished.id }]);

    // Two replicas of the new version start together on that database (pg-boss 12 alone refuses
    // a version 24 schema).
    const shared = { database: home.database, bus: home.bus };
    const replicas = await Promise.all([startExpiration({ shared }), startExpiration({ shared })]);
    const upgradedAt = Date.now();
    started.push(...replicas);
    for (const r of replicas) await r.listen(r.listeners);
    const t = replicas[0];
    const handled = async () =>
      (await Promise.all(replicas.map((r) => orderCreatedHandled(r, 'handled')))).reduce((a, b) => a + b);
    expect(await schemaVersion()).toBe(pgBoss12Schema);
    const { rows: leftOver } = await pool.query("select nspname from pg_namespace where nspname like 'pgboss%'");
    expect(leftOver).toEqual([{ nspname: 'pgboss' }]);
    for (const order of [soon, later]) {
      expect(await jobsFor(t, order.id)).toMatchObject([
        { id: order.id, state: 'created', startAfter: new Date(order.expiresAt) },
      ]);
    }
    expect(await jobsFor(t, finished.id)).toMatchObject([{ id: finished.id, state: 'completed' }]);

    // order.created again (new event ids) for an order with a pg-boss 10 job and for one it finished.
    await publishTestEvent(home.bus, 'order.created', soon);
    await publishTestEvent(home.bus, 'order.created', finished);
    await eventually(async () => (await handled()) === 2, { what: 'both handled' });
    expect(await jobsFor(t, soon.id)).toHaveLength(1);
    expect(await jobsFor(t, finished.id)).toMatchObject([{ state: 'completed' }]);

    // The job whose worker went away runs at once; the others at their time.
    expect(await completionsReaching(home.bus, 3, 12_000)).toEqual([
      { orderId: taken.id },
      { orderId: soon.id },
      { orderId: later.id },
    ]);
    const publishedAt = async (orderId: string) => {
      const { rows } = await pool.query<{ at: Date }>(
        `select created_at as at from outbox where payload->>'orderId' = $1`,
        [orderId],
      );
      expect(rows).toHaveLength(1);
      return rows[0]!.at.getTime();
    };
    expect(await publishedAt(taken.id)).toBeLessThan(upgradedAt + 2_000);
    for (const order of [soon, later]) {
      const due = new Date(order.expiresAt).getTime();
      expect(await publishedAt(order.id)).toBeGreaterThanOrEqual(due);
      expect(await publishedAt(order.id)).toBeLessThan(due + 2_000);
      expect(await jobsFor(t, order.id)).toMatchObject([{ state: 'completed' }]);
    }
    await sleepUntil(new Date(later.expiresAt).getTime() + 1_500);
    expect(await completions(home.bus)).toHaveLength(3);
  }, 60_000);
});
