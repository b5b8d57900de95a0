import { createHttpServer, createServiceApp, requireAuth } from '@ticketing/common';
import { eventually, publishTestEvent } from '@ticketing/testkit';
import { eventStreamMessages, type StreamMessage } from '@ticketing/testkit/api-user';
import { Router, type Express } from 'express';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontDoor, type Upstreams } from '../../scripts/start/front-door.js';
import { listeners } from '../src/events/listeners.js';
import { defaultStreamLimits, orderUpdatesRoute, type StreamLimits } from '../src/routes/order-updates.js';
import { createOrder, expectErrors, getOrder, replicateTicket, type Orders, type User } from './helpers.js';
import { aUser, startOrders } from './setup.js';

/** An open `text/event-stream` response, read message by message. */
interface Stream {
  status: number;
  headers: Headers;
  /** The next `order` event's order, or 'end' when the server ended the stream. */
  nextOrder(): Promise<unknown>;
  /** The next message of any kind (comments included), or 'end'. */
  nextMessage(): Promise<StreamMessage | 'end'>;
  /** Goes away, as a closed browser tab does. */
  close(): void;
}

const READ_BOUND_MS = 10_000;

async function openStream(url: string, cookie?: string): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, signal: abort.signal });
  const messages = eventStreamMessages(res.body!);
  const nextMessage = async (): Promise<StreamMessage | 'end'> => {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      messages.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nothing on the stream within ${READ_BOUND_MS} ms`)), READ_BOUND_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    return next.done ? 'end' : next.value;
  };
  const nextOrder = async () => {
    for (;;) {
      const message = await nextMessage();
      if (message === 'end') return 'end';
      if (message.event) {
        expect(message.event).toBe('order');
        return JSON.parse(message.data!);
      }
    }
  };
  return { status: res.status, headers: res.headers, nextOrder, nextMessage, close: () => abort.abort() };
}

/** Serves `app` on a port of its own, as the service does. */
async function serve(app: Express): Promise<{ url: string; server: Server }> {
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
async function served(app: Express) {
  const s = await serve(app);
  servers.push(s.server);
  return s.url;
}

/** The stream route alone, with limits of the test's choosing. */
const streamApp = (t: Orders, limits: Partial<StreamLimits>) =>
  createServiceApp(t.service, Router().get('/api/orders/:id/updates', requireAuth, orderUpdatesRoute(t.service, { ...defaultStreamLimits, ...limits })));

let t: Orders;
/** Another replica of the service: its own process state and notification connection, the same database and stream. */
let replica: Orders;
let url: string;
let replicaUrl: string;
let admin: pg.Client;
beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
  replica = await startOrders({ shared: { database: t.database, bus: t.bus } });
  url = await served(t.app);
  replicaUrl = await served(replica.app);
  admin = new pg.Client({ connectionString: t.database.url });
  await admin.connect();
});
afterAll(async () => {
  for (const server of servers) {
    server.close();
    server.closeAllConnections();
  }
  await admin?.end();
  await replica?.close();
  await t?.close();
});

async function anOrder(): Promise<{ buyer: User; order: Awaited<ReturnType<typeof createOrder>> }> {
  const buyer = await aUser();
  return { buyer, order: await createOrder(t, buyer, (await replicateTicket(t)).id) };
}

const cancel = async (buyer: User, id: string) => expect((await t.http.delete(`/api/orders/${id}`).set('Cookie', buyer.cookie)).status).toBe(204);

describe('GET /api/orders/:id/updates', () => {
  it('when the buyer opens it, then it is an unbuffered event stream whose first event is the order as GET /api/orders/:id shows it', async () => {
    const { buyer, order } = await anOrder();

    const stream = await openStream(`${url}/api/orders/${order.id}/updates`, buyer.cookie);

    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toContain('no-cache');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.headers.get('content-encoding')).toBeNull();
    expect(await stream.nextOrder()).toEqual(await getOrder(t, buyer, order.id));
    stream.close();
  });

  it('when another replica cancels the order, then the stream sends the cancelled order and ends', async () => {
    const { buyer, order } = await anOrder();
    const stream = await openStream(`${replicaUrl}/api/orders/${order.id}/updates`, buyer.cookie);
    expect(await stream.nextOrder()).toMatchObject({ status: 'created', version: 0 });

    await cancel(buyer, order.id);

    expect(await stream.nextOrder()).toEqual(await getOrder(t, buyer, order.id));
    expect(await stream.nextOrder()).toBe('end');
  });

  it('when payments starts and completes the payment (handled by the other replica), then every open stream of the order sends awaiting payment, then complete, and ends', async () => {
    const { buyer, order } = await anOrder();
    const streams = [
      await openStream(`${replicaUrl}/api/orders/${order.id}/updates`, buyer.cookie),
      await openStream(`${replicaUrl}/api/orders/${order.id}/updates`, buyer.cookie),
    ];
    for (const stream of streams) expect(await stream.nextOrder()).toMatchObject({ status: 'created' });

    await publishTestEvent(t.bus, 'payment.started', { id: randomUUID(), orderId: order.id });
    for (const stream of streams) expect(await stream.nextOrder()).toMatchObject({ status: 'awaiting:payment', version: 1 });
    await publishTestEvent(t.bus, 'payment.created', { id: randomUUID(), orderId: order.id, chargeId: `ch_${randomUUID()}` });

    const complete = await getOrder(t, buyer, order.id);
    for (const stream of streams) {
      expect(await stream.nextOrder()).toEqual({ ...complete, status: 'complete', version: 2 });
      expect(await stream.nextOrder()).toBe('end');
    }
  });

  it('when the order is already cancelled, then the stream sends it once and ends', async () => {
    const { buyer, order } = await anOrder();
    await cancel(buyer, order.id);

    const stream = await openStream(`${url}/api/orders/${order.id}/updates`, buyer.cookie);

    expect(await stream.nextOrder()).toMatchObject({ id: order.id, status: 'cancelled' });
    expect(await stream.nextOrder()).toBe('end');
  });

  it('when the notification connection was lost while the order changed, then on reconnecting the stream sends the change', async () => {
    const { buyer, order } = await anOrder();
    const stream = await openStream(`${replicaUrl}/api/orders/${order.id}/updates`, buyer.cookie);
    expect(await stream.nextOrder()).toMatchObject({ status: 'created' });

    // A change whose notification nobody hears (the trigger does not fire), as if it came while disconnected...
    await admin.query('begin');
    await admin.query('set local session_replication_role = replica');
    await admin.query(`update orders set status = 'cancelled', version = version + 1 where id = $1`, [order.id]);
    await admin.query('commit');
    // ...then the listening connections are lost, and made again.
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`);

    expect(await stream.nextOrder()).toMatchObject({ id: order.id, status: 'cancelled', version: 1 });
    expect(await stream.nextOrder()).toBe('end');
  });

  it("when another buyer asks, then 404 in the error shape, the same as for an unknown order (the order's existence does not leak)", async () => {
    const { order } = await anOrder();
    const intruder = await aUser();

    const theirs = await t.http.get(`/api/orders/${order.id}/updates`).set('Cookie', intruder.cookie);
    const unknown = await t.http.get(`/api/orders/${randomUUID()}/updates`).set('Cookie', intruder.cookie);

    expectErrors(theirs, 404, [undefined]);
    expect(theirs.body).toEqual(unknown.body);
    expect(theirs.text).not.toContain(order.userId);
  });

  it('when nobody is signed in, then 401 in the error shape', async () => {
    const { order } = await anOrder();

    expectErrors(await t.http.get(`/api/orders/${order.id}/updates`), 401, [undefined]);
  });

  it.each([['abc'], ['1'], ['%00'], [`${randomUUID()}x`], [randomUUID().replaceAll('-', '')]])(
    'when the id is %s, then 404 in the error shape, as GET /api/orders/:id answers',
    async (id) => {
      const buyer = await aUser();

      const res = await t.http.get(`/api/orders/${id}/updates`).set('Cookie', buyer.cookie);

      expectErrors(res, 404, [undefined]);
      expect(res.body).toEqual((await t.http.get(`/api/orders/${id}`).set('Cookie', buyer.cookie)).body);
    },
  );

  it('when as many streams are open as the bound allows, then another answers 503 in the error shape; once a client goes away, its place is free again', async () => {
    const bounded = await served(streamApp(t, { maxStreams: 1 }));
    const { buyer, order } = await anOrder();
    const first = await openStream(`${bounded}/api/orders/${order.id}/updates`, buyer.cookie);
    await first.nextOrder();

    const refused = await fetch(`${bounded}/api/orders/${order.id}/updates`, { headers: { cookie: buyer.cookie } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({ errors: [{ message: expect.stringMatching(/\S/) }] });

    first.close();
    const again = await eventually(
      async () => {
        const stream = await openStream(`${bounded}/api/orders/${order.id}/updates`, buyer.cookie);
        if (stream.status === 200) return stream;
        expect(stream.status).toBe(503);
        stream.close();
        return undefined;
      },
      { what: 'the closed stream to free its place' },
    );
    expect(await again.nextOrder()).toMatchObject({ id: order.id });
    again.close();
  });

  it('when the stream is quiet, then it carries keep-alive comments', async () => {
    const chatty = await served(streamApp(t, { heartbeatMs: 20 }));
    const { buyer, order } = await anOrder();
    const stream = await openStream(`${chatty}/api/orders/${order.id}/updates`, buyer.cookie);
    expect(await stream.nextOrder()).toMatchObject({ id: order.id });

    expect(await stream.nextMessage()).toEqual({ comment: 'keep-alive' });
    stream.close();
  });

  it('when the stream has lived its bound, then it ends without a final status (EventSource reconnects)', async () => {
    const brief = await served(streamApp(t, { lifeMs: 50 }));
    const { buyer, order } = await anOrder();
    const stream = await openStream(`${brief}/api/orders/${order.id}/updates`, buyer.cookie);

    expect(await stream.nextOrder()).toMatchObject({ status: 'created' });
    expect(await stream.nextOrder()).toBe('end');
  });

  it('when the service stops, then its open streams end, so they do not hold the shutdown up', async () => {
    const stopping = await startOrders({ shared: { database: t.database, bus: t.bus } });
    const stoppingUrl = await served(stopping.app);
    const { buyer, order } = await anOrder();
    const stream = await openStream(`${stoppingUrl}/api/orders/${order.id}/updates`, buyer.cookie);
    expect(await stream.nextOrder()).toMatchObject({ status: 'created' });

    await stopping.close();

    expect(await stream.nextOrder()).toBe('end');
  });
});

describe('GET /api/orders/:id/updates through the front door (npm start)', () => {
  it('when the buyer follows the order through it, then each event arrives as it is sent, not when the stream ends', async () => {
    const port = (u: string) => Number(new URL(u).port);
    const unused = port(url); // no request here goes to another service
    const upstreams: Upstreams = { auth: unused, tickets: unused, payments: unused, client: unused, orders: port(replicaUrl) };
    const frontDoor = createFrontDoor(upstreams);
    await new Promise<void>((resolve) => frontDoor.listen(0, '127.0.0.1', resolve));
    servers.push(frontDoor);
    const { buyer, order } = await anOrder();

    const stream = await openStream(`http://127.0.0.1:${(frontDoor.address() as AddressInfo).port}/api/orders/${order.id}/updates`, buyer.cookie);

    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // The stream is still open: had the front door held the answer back, this would not arrive.
    expect(await stream.nextOrder()).toMatchObject({ status: 'created' });
    await cancel(buyer, order.id);
    expect(await stream.nextOrder()).toMatchObject({ status: 'cancelled' });
    expect(await stream.nextOrder()).toBe('end');
  });
});
