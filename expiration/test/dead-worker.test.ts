import { createTestService, publishTestEvent } from '@ticketing/testkit';
import { PgBoss } from 'pg-boss';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { EXPIRY_QUEUE } from '../src/expiry-queue.js';
import { completionsReaching, jobsFor, orderCreated, scheduledJob } from './helpers.js';
import { startExpiration } from './setup.js';

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const t of started.splice(0).reverse()) await t.close();
});

describe('a replica killed while it holds due jobs', () => {
  it('when a worker took an order\'s job and died (SIGKILL) before finishing it, then a restarted instance expires the order within seconds, not minutes', async () => {
    const home = await createTestService({ name: 'expiration', migrationsFolder });
    started.push(home);
    const shared = { database: home.database, bus: home.bus };
    const scheduler = await startExpiration({ shared, work: false });
    started.push(scheduler);
    await scheduler.listen(scheduler.listeners);
    const order = orderCreated(new Date());
    await publishTestEvent(home.bus, 'order.created', order);
    await scheduledJob(scheduler, order.id);

    // The dying worker: it fetches the due job (now active, as pg-boss marks it) and is gone
    // without completing or failing it, as a process killed with SIGKILL would be.
    const dying = new PgBoss({ connectionString: home.database.url, schema: 'pgboss', supervise: false, schedule: false, migrate: false });
    await dying.start();
    expect(await dying.fetch(EXPIRY_QUEUE)).toHaveLength(1);
    await dying.stop({ graceful: false });
    expect(await jobsFor(scheduler, order.id)).toMatchObject([{ state: 'active' }]);

    // A restarted instance (with its worker and maintenance) takes the job over. Before, a job
    // stayed active for 60 s and maintenance first ran 30 s after a start: over a minute late.
    const restarted = await startExpiration({ shared });
    started.push(restarted);
    expect(await completionsReaching(home.bus, 1, 45_000)).toEqual([{ orderId: order.id }]);
    expect(await jobsFor(restarted, order.id)).toMatchObject([{ state: 'completed' }]);
  }, 90_000);
});
