import { randomUUID } from 'node:crypto';
import { publishTestEvent } from '@ticketing/testkit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { PageCache } from '../src/page-cache.js';
import { createTicket, reserve, type Tickets, type TicketBody } from './helpers.js';
import { aUser, startTickets } from './setup.js';

const started: Tickets[] = [];
const clients: pg.Client[] = [];
async function start(shared?: Parameters<typeof startTickets>[0]) {
  const t = await startTickets(shared);
  started.push(t);
  // Until its LISTEN is in place the cache keeps nothing (and serves nothing).
  await expect.poll(() => t.service.notifications.listening).toBe(true);
  return t;
}
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end();
  for (const t of started.reverse()) await t.close();
  started.length = 0;
});

/** A connection of the test's own to the service's database, as another program would have. */
async function connect(t: Tickets) {
  const client = new pg.Client({ connectionString: t.database.url });
  await client.connect();
  clients.push(client);
  return client;
}

/** Changes to `tickets` notify no one from now on, as with the bench's swapped-in data sets. */
async function silenceTrigger(t: Tickets) {
  const client = await connect(t);
  await client.query('alter table tickets disable trigger tickets_changed');
  return client;
}

/** Resolves when this replica next hears `tickets_changed`. */
const nextChange = (t: Tickets) =>
  new Promise<void>((resolve) => {
    const off = t.service.notifications.on('tickets_changed', () => (off(), resolve()));
  });

const insertTicket = (client: pg.Client, title: string) =>
  client.query(`insert into tickets (id, title, price_cents, user_id) values ($1, $2, 1000, $3)`, [randomUUID(), title, randomUUID()]);

const get = (t: Tickets, path: string, etag?: string) => {
  const req = t.http.get(path);
  return etag === undefined ? req : req.set('If-None-Match', etag);
};
const titles = (body: TicketBody[]) => body.map((x) => x.title);
const STRONG_ETAG = /^"[A-Za-z0-9_-]{10,}"$/;

describe('ticket pages and their ETags', () => {
  it('when a page is asked again with its ETag, then 304 without a body; every page has a strong ETag and asks browsers to revalidate', async () => {
    const t = await start();
    const ticket = await createTicket(t, await aUser());

    for (const path of ['/api/tickets', '/api/tickets?limit=1', `/api/tickets/${ticket.id}`]) {
      const first = await get(t, path);
      expect(first.status).toBe(200);
      expect(first.headers.etag).toMatch(STRONG_ETAG);
      expect(first.headers['cache-control']).toBe('no-cache');

      const again = await get(t, path, first.headers.etag);
      const amongOthers = await get(t, path, `"other", ${first.headers.etag}`);

      expect({ path, status: again.status, body: again.text ?? '' }).toEqual({ path, status: 304, body: '' });
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(amongOthers.status).toBe(304);
    }
  });

  it('when If-None-Match is malformed or matches nothing, then the full page, as without it', async () => {
    const t = await start();
    await createTicket(t, await aUser());
    const plain = await get(t, '/api/tickets');

    for (const value of ['garbage', '"', '""', 'W/', ',,,', '"a", "b"', `"${'x'.repeat(4000)}"`, '\u00ff']) {
      const res = await get(t, '/api/tickets', value);

      expect({ value, status: res.status, body: res.body, etag: res.headers.etag }).toEqual({ value, status: 200, body: plain.body, etag: plain.headers.etag });
    }
  });

  it('when the tickets change without a notification, then the kept page is served until one comes (served from memory)', async () => {
    const t = await start();
    const created = nextChange(t);
    await createTicket(t, await aUser(), { title: 'Listed', price: 10 });
    await created; // the create's own notification, which would empty the cache after the page is kept
    const before = await get(t, '/api/tickets');
    const other = await silenceTrigger(t);
    await insertTicket(other, 'Unheard of');

    expect((await get(t, '/api/tickets')).headers.etag).toBe(before.headers.etag);

    await other.query('notify tickets_changed');
    await expect.poll(async () => titles((await get(t, '/api/tickets')).body)).toEqual(['Unheard of', 'Listed']);
  });

  it('when a ticket is created, then the list shows it at once with a new ETag, and the old ETag gets the new page', async () => {
    const t = await start();
    const seller = await aUser();
    await createTicket(t, seller, { title: 'First', price: 10 });
    const before = await get(t, '/api/tickets');
    await silenceTrigger(t); // the write itself empties this replica's cache, not its notification

    await createTicket(t, seller, { title: 'Second', price: 10 });
    const after = await get(t, '/api/tickets', before.headers.etag);

    expect(after.status).toBe(200);
    expect(titles(after.body)).toEqual(['Second', 'First']);
    expect(after.headers.etag).toMatch(STRONG_ETAG);
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  it('when a ticket is edited, then its page and the list show the edit at once, with new ETags', async () => {
    const t = await start();
    const seller = await aUser();
    const ticket = await createTicket(t, seller, { title: 'Before', price: 10 });
    const list = await get(t, '/api/tickets');
    const shown = await get(t, `/api/tickets/${ticket.id}`);
    await silenceTrigger(t);

    const edit = await t.http.put(`/api/tickets/${ticket.id}`).set('Cookie', seller.cookie).send({ title: 'After', price: 12 });
    expect(edit.status).toBe(200);
    const listAfter = await get(t, '/api/tickets', list.headers.etag);
    const shownAfter = await get(t, `/api/tickets/${ticket.id}`, shown.headers.etag);

    expect([listAfter.status, shownAfter.status]).toEqual([200, 200]);
    expect(listAfter.body).toEqual([{ ...ticket, title: 'After', price: 12, version: 1 }]);
    expect(shownAfter.body).toEqual({ ...ticket, title: 'After', price: 12, version: 1 });
    expect(listAfter.headers.etag).not.toBe(list.headers.etag);
    expect(shownAfter.headers.etag).not.toBe(shown.headers.etag);
  });

  it('when order.created reserves a ticket, then the list drops it and its page shows the order, with new ETags', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await createTicket(t, await aUser(), { title: 'Sold', price: 10 });
    const list = await get(t, '/api/tickets');
    const shown = await get(t, `/api/tickets/${ticket.id}`);
    expect(titles(list.body)).toEqual(['Sold']);
    const orderId = randomUUID();

    await publishTestEvent(t.bus, 'order.created', {
      id: orderId,
      version: 0,
      status: 'created',
      userId: randomUUID(),
      expiresAt: new Date(Date.now() + 900_000).toISOString(),
      ticket: { id: ticket.id, price: ticket.price },
    });

    await expect.poll(async () => (await get(t, '/api/tickets', list.headers.etag)).body).toEqual([]);
    const shownAfter = await get(t, `/api/tickets/${ticket.id}`, shown.headers.etag);
    expect(shownAfter.status).toBe(200);
    expect(shownAfter.body).toEqual({ ...ticket, orderId, version: 1, status: 'reserved' });
    expect((await get(t, '/api/tickets')).headers.etag).not.toBe(list.headers.etag);
  });

  it('when order.completed sells a ticket, then its kept page shows it sold, with a new ETag', async () => {
    const t = await start();
    await t.listen(listeners);
    const ticket = await createTicket(t, await aUser(), { title: 'Sold out', price: 10 });
    const orderId = await reserve(t, ticket);
    const shown = await get(t, `/api/tickets/${ticket.id}`);
    expect(shown.body.status).toBe('reserved');
    expect((await get(t, `/api/tickets/${ticket.id}`, shown.headers.etag)).status).toBe(304);

    await publishTestEvent(t.bus, 'order.completed', { id: orderId, version: 1, ticket: { id: ticket.id } });

    await expect.poll(async () => (await get(t, `/api/tickets/${ticket.id}`, shown.headers.etag)).body.status).toBe('sold');
    const shownAfter = await get(t, `/api/tickets/${ticket.id}`);
    expect(shownAfter.body).toEqual({ ...ticket, orderId, version: 2, status: 'sold' });
    expect(shownAfter.headers.etag).not.toBe(shown.headers.etag);
  });

  it('when a write goes through one replica, then the other replica, which kept the pages, serves the change', async () => {
    const one = await start();
    const two = await start({ database: one.database, bus: one.bus });
    const seller = await aUser();
    const ticket = await createTicket(one, seller, { title: 'Old title', price: 10 });
    const kept = await get(two, '/api/tickets');
    const keptTicket = await get(two, `/api/tickets/${ticket.id}`);
    expect(titles(kept.body)).toEqual(['Old title']);

    await createTicket(one, seller, { title: 'New ticket', price: 10 });
    await expect.poll(async () => titles((await get(two, '/api/tickets')).body)).toEqual(['New ticket', 'Old title']);

    const edit = await one.http.put(`/api/tickets/${ticket.id}`).set('Cookie', seller.cookie).send({ title: 'New title', price: 10 });
    expect(edit.status).toBe(200);
    await expect.poll(async () => (await get(two, `/api/tickets/${ticket.id}`, keptTicket.headers.etag)).body.title).toBe('New title');
  });

  it('when the notifications connection is lost, then pages come from the database until it is back, and none kept from before is served after', async () => {
    const t = await start();
    await createTicket(t, await aUser(), { title: 'Listed', price: 10 });
    expect(titles((await get(t, '/api/tickets')).body)).toEqual(['Listed']);
    const other = await connect(t);

    await other.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'listen %'`);
    await expect.poll(() => t.service.notifications.listening).toBe(false);
    await insertTicket(other, 'Added meanwhile');

    expect(titles((await get(t, '/api/tickets')).body)).toEqual(['Added meanwhile', 'Listed']);
    await expect.poll(() => t.service.notifications.listening).toBe(true);
    expect(titles((await get(t, '/api/tickets')).body)).toEqual(['Added meanwhile', 'Listed']);
  });
});

describe('the page cache', () => {
  it('when a change is heard while a page is being read, then that page is not kept: the next request reads again', async () => {
    const t = await start();
    const seller = await aUser();
    const pages = new PageCache(t.service.notifications);
    const stop = pages.listen();
    let reads = 0;
    const read = async () => {
      reads++;
      const { rows } = await t.service.database.pool.query('select count(*)::int as n from tickets');
      if (reads === 1) {
        // A commit after this read's snapshot, heard before the page would be kept.
        const heard = nextChange(t);
        await createTicket(t, seller);
        await heard;
      }
      return { body: rows[0] };
    };

    try {
      expect(JSON.parse((await pages.page('count', read)).body.toString())).toEqual({ n: 0 });
      expect(JSON.parse((await pages.page('count', read)).body.toString())).toEqual({ n: 1 });
      await pages.page('count', read);
      expect(reads).toBe(2);
    } finally {
      stop();
    }
  });

  it('when more pages are read than it keeps, then the least recently used go first', async () => {
    const t = await start();
    const pages = new PageCache(t.service.notifications, 2);
    const reads: string[] = [];
    const read = (key: string) => pages.page(key, async () => (reads.push(key), { body: key }));

    for (const key of ['a', 'b', 'a', 'c', 'a', 'b']) await read(key);

    expect(reads).toEqual(['a', 'b', 'c', 'b']);
  });
});
