import { createLogger } from '@ticketing/common';
import { traceIdOf } from '@ticketing/contracts';
import { eventually, publishTestEvent, readStream, type LogRecord } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPIRY_QUEUE } from '../src/expiry-queue.js';
import { inMs, orderCreated } from './helpers.js';
import { startExpiration, type Expiration } from './setup.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${spanId}-01`;

/** An expiration service logging as the real one does (trace ids and all), into a list. */
async function start() {
  const records: LogRecord[] = [];
  const logger = createLogger('expiration', 'info', { write: (line: string) => void records.push(JSON.parse(line) as LogRecord) });
  const t = await startExpiration({ logger });
  started.push(t);
  return { t, records };
}
const started: Expiration[] = [];
afterEach(async () => {
  for (const t of started.splice(0).reverse()) await t.close();
});

/** The first expiration.complete on the stream, with its traceparent. */
const completion = (t: Expiration) =>
  eventually(async () => (await readStream(t.bus, 'expiration.complete'))[0], { what: 'expiration.complete' });

const expiredLine = (records: LogRecord[], orderId: string) =>
  eventually(() => records.find((r) => r.msg === 'order expired' && r.orderId === orderId), { what: 'order expired logged' });

describe('expiration: the expiry continues the trace of the order.created that scheduled it', () => {
  it('when order.created carries a traceparent, then its job keeps it, expiration.complete continues that trace in a span of its own, and the expiry is logged with its trace id', async () => {
    const { t, records } = await start();
    await t.listen(t.listeners);
    const order = orderCreated(inMs(300));
    await publishTestEvent(t.bus, 'order.created', order, { traceparent });

    const event = await completion(t);
    expect(event.payload).toEqual({ orderId: order.id });
    const sent = event.headers.traceparent;
    expect(traceIdOf(sent)).toBe(traceId);
    expect(sent).not.toBe(traceparent);
    expect(sent).not.toContain(spanId);
    const { rows } = await t.service.database.pool.query(`select data from pgboss.job where name = $1 and id = $2`, [EXPIRY_QUEUE, order.id]);
    expect(rows[0]?.data).toEqual({ orderId: order.id, traceparent });

    expect((await expiredLine(records, order.id)).traceId).toBe(traceId);
    expect(records.find((r) => r.msg === 'order expiry scheduled')?.traceId).toBe(traceId);
  });

  it('when a job holds no traceparent (scheduled by older code), then the order still expires, in a trace of its own', async () => {
    const { t, records } = await start();
    const orderId = randomUUID();
    await t.queue.schedule(orderId, inMs(0));
    const { rows } = await t.service.database.pool.query(`select data from pgboss.job where name = $1 and id = $2`, [EXPIRY_QUEUE, orderId]);
    expect(rows[0]?.data).toEqual({ orderId });

    const event = await completion(t);
    expect(event.payload).toEqual({ orderId });
    const newTrace = traceIdOf(event.headers.traceparent);
    expect(newTrace).toMatch(/^[0-9a-f]{32}$/);
    expect((await expiredLine(records, orderId)).traceId).toBe(newTrace);
  });
});
