import { eventually, readStream, type TestBus } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { EXPIRY_QUEUE } from '../src/expiry-queue.js';
import type { Expiration } from './setup.js';

/** An order.created payload, as the orders service publishes it. */
export function orderCreated(expiresAt: Date, id: string = randomUUID()) {
  return {
    id,
    version: 0,
    status: 'created',
    userId: randomUUID(),
    expiresAt: expiresAt.toISOString(),
    ticket: { id: randomUUID(), price: 20 },
  };
}

export const inMs = (ms: number) => new Date(Date.now() + ms);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const sleepUntil = (time: number) => sleep(Math.max(0, time - Date.now()));

/** The expiration.complete payloads on the stream, oldest first. */
export async function completions(bus: TestBus): Promise<{ orderId: string }[]> {
  return (await readStream(bus, 'expiration.complete')).map((e) => e.payload as { orderId: string });
}

/** Waits until at least `n` expiration.complete events are on the stream; returns them. */
export function completionsReaching(bus: TestBus, n: number, timeoutMs = 5_000) {
  return eventually(
    async () => {
      const c = await completions(bus);
      return c.length >= n && c;
    },
    { timeoutMs, what: `${n} expiration.complete` },
  );
}

export interface JobRow {
  id: string;
  state: string;
  retryCount: number;
  startAfter: Date;
}

/** Every pg-boss job (any id) whose data names `orderId`. */
export async function jobsFor(t: Pick<Expiration, 'service'>, orderId: string): Promise<JobRow[]> {
  const { rows } = await t.service.database.pool.query<JobRow>(
    `select id, state, retry_count as "retryCount", start_after as "startAfter"
       from pgboss.job where name = $1 and data->>'orderId' = $2`,
    [EXPIRY_QUEUE, orderId],
  );
  return rows;
}

/** Waits until `orderId` has a job (its order.created was handled); returns it. */
export async function scheduledJob(t: Pick<Expiration, 'service'>, orderId: string): Promise<JobRow> {
  return eventually(async () => (await jobsFor(t, orderId))[0], { what: `job for order ${orderId}` });
}

/** How many order.created events this instance has handled, by result (handled, duplicate). */
export async function orderCreatedHandled(t: Pick<Expiration, 'service'>, result: string): Promise<number> {
  return (await t.service.metrics.eventsHandled.get()).values
    .filter((v) => v.labels.subject === 'order.created' && v.labels.result === result)
    .reduce((sum, v) => sum + v.value, 0);
}
