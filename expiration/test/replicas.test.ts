import { createTestService, publishTestEvent } from '@ticketing/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { EXPIRY_QUEUE, ExpiryQueue } from '../src/expiry-queue.js';
import { completions, completionsReaching, jobsFor, orderCreated, scheduledJob, sleep, sleepUntil } from './helpers.js';
import { startExpiration, type StartOptions } from './setup.js';

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  const closing = started.splice(0).reverse();
  for (const t of closing) await t.close();
});

/** A database and stream for replicas to share; it runs no queue itself. */
async function home() {
  const h = await createTestService({ name: 'expiration', migrationsFolder });
  started.push(h);
  return h;
}
/** Closes `t` now rather than after the test. */
async function closeNow(t: { close(): Promise<void> }) {
  started.splice(started.indexOf(t), 1);
  await t.close();
}
async function replica(shared: StartOptions['shared']) {
  const t = await startExpiration({ shared });
  started.push(t);
  return t;
}

describe('expiration replicas and restarts', () => {
  it('when the service stops before an order expires and a new instance starts later, then expiration.complete is still published, once', async () => {
    const h = await home();
    const shared = { database: h.database, bus: h.bus };
    const first = await replica(shared);
    await first.listen(first.listeners);
    const expiresAt = new Date(Date.now() + 2000);
    const order = orderCreated(expiresAt);
    await publishTestEvent(h.bus, 'order.created', order);
    await scheduledJob(first, order.id);
    await closeNow(first);

    // Its time passes with no instance running: nothing is published...
    await sleepUntil(expiresAt.getTime() + 600);
    expect(await completions(h.bus)).toEqual([]);
    // ...until one starts and finds the stored timer overdue.
    const second = await replica(shared);
    expect(await completionsReaching(h.bus, 1, 3_000)).toEqual([{ orderId: order.id }]);
    await sleep(1000);
    expect(await completions(h.bus)).toEqual([{ orderId: order.id }]);
    expect(await jobsFor(second, order.id)).toMatchObject([{ state: 'completed' }]);
  });

  it('when two instances start together and work the same queue, then each of 20 orders expires exactly once', async () => {
    const h = await home();
    const shared = { database: h.database, bus: h.bus };
    // Started at once on a fresh pgboss schema: installing it and creating the queue race.
    const [one, two] = await Promise.all([replica(shared), replica(shared)]);
    await one!.listen(one!.listeners);
    await two!.listen(two!.listeners);
    const base = Date.now() + 1000;
    const orders = Array.from({ length: 20 }, (_, i) => orderCreated(new Date(base + i * 40)));
    await Promise.all(orders.map((o) => publishTestEvent(h.bus, 'order.created', o)));

    await completionsReaching(h.bus, 20, 8_000);
    await sleep(1000);
    const events = await completions(h.bus);
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.orderId))).toEqual(new Set(orders.map((o) => o.id)));
    const { rows } = await h.service.database.pool.query<{ state: string; n: number }>(
      'select state, count(*)::int as n from pgboss.job where name = $1 group by state',
      [EXPIRY_QUEUE],
    );
    expect(rows).toEqual([{ state: 'completed', n: 20 }]);
  });

  it('when three instances start at once on a fresh database, then all start and there is one queue', async () => {
    const h = await home();
    // Each queue has its own pg-boss (and connections), all installing the schema and creating
    // the queue at once. On pg-boss 10 most runs of this lost one or two of them to PostgreSQL's
    // "deadlock detected" (40P01) unless it was retried; pg-boss 12 creates queues under a lock.
    const queues = [1, 2, 3].map(() => new ExpiryQueue(h.service));
    for (const q of queues) started.push({ close: () => q.stop() });
    await Promise.all(queues.map((q) => q.start()));

    expect(queues.map((q) => q.running)).toEqual([true, true, true]);
    const { rows } = await h.service.database.pool.query('select name from pgboss.queue');
    expect(rows).toEqual([{ name: EXPIRY_QUEUE }]);
  });
});
