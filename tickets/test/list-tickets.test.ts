import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { complete, createTicket, expectErrors, getTicket, nextLink, reserve, type TicketBody, type User } from './helpers.js';
import { aUser, startTickets } from './setup.js';

// Listing depends on every ticket in the database, so each test gets a fresh service.
let t: Awaited<ReturnType<typeof startTickets>>;
let seller: User;
beforeEach(async () => {
  t = await startTickets();
  seller = await aUser();
});
afterEach(() => t.close());

/** Creates `n` tickets one after another; returns them newest first, as the list shows them. */
async function createTickets(n: number): Promise<TicketBody[]> {
  const created: TicketBody[] = [];
  for (let i = 1; i <= n; i++) created.push(await createTicket(t, seller, { title: `Ticket ${i}`, price: i }));
  return created.reverse();
}

/** Follows `Link: rel="next"` from `path` to the end; returns every page. */
async function walk(path: string) {
  const pages: TicketBody[][] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const res = await t.http.get(next);
    expect(res.status).toBe(200);
    pages.push(res.body as TicketBody[]);
    next = nextLink(res);
    expect(pages.length).toBeLessThan(100); // a Link that never ends would loop forever
  }
  return pages;
}

describe('GET /api/tickets', () => {
  it('when there are no tickets, then 200 with an empty array and no Link header', async () => {
    const res = await t.http.get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.link).toBeUndefined();
  });

  it('when tickets exist, then 200 with all of them, newest first, without signing in', async () => {
    const newestFirst = await createTickets(3);

    const res = await t.http.get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual(newestFirst);
    expect(res.headers.link).toBeUndefined();
  });

  it('when tickets belong to several users, then all of them are listed', async () => {
    const other = await aUser();
    const mine = await createTicket(t, seller);
    const theirs = await createTicket(t, other);

    const res = await t.http.get('/api/tickets');

    expect(res.body).toEqual([theirs, mine]);
  });

  it('when a ticket is reserved, then it is no longer listed but still shown by id', async () => {
    await t.listen(listeners);
    const [c, b, a] = await createTickets(3);

    const orderId = await reserve(t, b!);
    const res = await t.http.get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([c, a]);
    expect(await getTicket(t, b!.id)).toEqual({ ...b, orderId, version: 1, status: 'reserved' });
  });

  it('when a ticket is sold, then it is not listed but still shown by id, sold', async () => {
    await t.listen(listeners);
    const [c, b, a] = await createTickets(3);

    const orderId = await reserve(t, b!);
    await complete(t, b!, orderId);
    const res = await t.http.get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([c, a]);
    expect(await getTicket(t, b!.id)).toEqual({ ...b, orderId, version: 2, status: 'sold' });
  });

  it('when a ticket is edited, then the list shows its new state in its original place', async () => {
    const [c, b, a] = await createTickets(3);

    const edited = await t.http.put(`/api/tickets/${b!.id}`).set('Cookie', seller.cookie).send({ title: 'New', price: 99 });
    const res = await t.http.get('/api/tickets');

    expect(edited.status).toBe(200);
    expect(res.body).toEqual([c, { ...b, title: 'New', price: 99, version: 1 }, a]);
  });

  describe('limit', () => {
    it('when more than 50 tickets exist and no limit is given, then the newest 50 and a Link to the rest', async () => {
      const newestFirst = await createTickets(51);

      const res = await t.http.get('/api/tickets');

      expect(res.status).toBe(200);
      expect(res.body).toEqual(newestFirst.slice(0, 50));
      const next = nextLink(res);
      expect(next).toBeDefined();
      const rest = await t.http.get(next!);
      expect(rest.body).toEqual(newestFirst.slice(50));
      expect(rest.headers.link).toBeUndefined();
    });

    it('when exactly 50 tickets exist and no limit is given, then all 50 and no Link', async () => {
      const newestFirst = await createTickets(50);

      const res = await t.http.get('/api/tickets');

      expect(res.body).toEqual(newestFirst);
      expect(res.headers.link).toBeUndefined();
    });

    it('when limit is 1 or 200 (the bounds), then that many tickets and a Link when more remain', async () => {
      const newestFirst = await createTickets(201);

      const one = await t.http.get('/api/tickets?limit=1');
      const max = await t.http.get('/api/tickets?limit=200');

      expect(one.status).toBe(200);
      expect(one.body).toEqual(newestFirst.slice(0, 1));
      expect(nextLink(one)).toBeDefined();
      expect(max.status).toBe(200);
      expect(max.body).toEqual(newestFirst.slice(0, 200));
      expect(nextLink(max)).toBeDefined();
    });

    it.each([
      ['0', 'limit=0'],
      ['201', 'limit=201'],
      ['-1', 'limit=-1'],
      ['abc', 'limit=abc'],
      ['1.5', 'limit=1.5'],
      ['1e2', 'limit=1e2'],
      ['empty', 'limit='],
      ['99999999999999999999', 'limit=99999999999999999999'],
      ['given twice', 'limit=1&limit=2'],
    ])('when limit is %s, then 400 naming limit', async (_, query) => {
      await createTickets(2);

      const res = await t.http.get(`/api/tickets?${query}`);

      expectErrors(res, 400, ['limit']);
      expect(res.headers.link).toBeUndefined();
    });
  });

  describe('pages', () => {
    it('when following Link from the first page, then every ticket comes once, newest first, and the last page has no Link', async () => {
      const newestFirst = await createTickets(7);

      const pages = await walk('/api/tickets?limit=3');

      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(newestFirst);
    });

    it('when the Link points to the next page, then it keeps the limit', async () => {
      await createTickets(5);

      const res = await t.http.get('/api/tickets?limit=2');

      expect(nextLink(res)).toMatch(/^\/api\/tickets\?(.*&)?limit=2(&|$)/);
    });

    it('when the tickets exactly fill the last page, then that page has no Link (no empty page)', async () => {
      const newestFirst = await createTickets(6);

      const pages = await walk('/api/tickets?limit=3');

      expect(pages.map((p) => p.length)).toEqual([3, 3]);
      expect(pages.flat()).toEqual(newestFirst);
    });

    it('when some tickets are reserved, then the pages skip them with no duplicates or gaps', async () => {
      await t.listen(listeners);
      const newestFirst = await createTickets(8);
      const reserved = [newestFirst[0]!, newestFirst[3]!, newestFirst[4]!, newestFirst[7]!];
      for (const ticket of reserved) await reserve(t, ticket);

      const pages = await walk('/api/tickets?limit=2');

      expect(pages.map((p) => p.length)).toEqual([2, 2]);
      expect(pages.flat()).toEqual(newestFirst.filter((x) => !reserved.includes(x)));
    });

    it('when a ticket is created while paging, then the following pages neither repeat nor skip older tickets', async () => {
      const newestFirst = await createTickets(5);
      const first = await t.http.get('/api/tickets?limit=2');

      await createTicket(t, seller, { title: 'Late', price: 1 });
      const rest = await walk(nextLink(first)!);

      expect([...first.body, ...rest.flat()]).toEqual(newestFirst);
    });

    it('when a ticket on a later page is reserved while paging, then it is skipped and nothing else is', async () => {
      await t.listen(listeners);
      const newestFirst = await createTickets(5);
      const first = await t.http.get('/api/tickets?limit=2');

      await reserve(t, newestFirst[3]!);
      const rest = await walk(nextLink(first)!);

      expect([...first.body, ...rest.flat()]).toEqual(newestFirst.filter((_, i) => i !== 3));
    });

    it.each([
      ['not base64 of a cursor', 'garbage!'],
      ['empty', ''],
      ['base64 of s0', Buffer.from('s0').toString('base64url')],
      ['base64 of s-1', Buffer.from('s-1').toString('base64url')],
      ['base64 of x5', Buffer.from('x5').toString('base64url')],
      ['base64 of s1.5', Buffer.from('s1.5').toString('base64url')],
      ['base64 of a 20-digit number', Buffer.from(`s${'9'.repeat(20)}`).toString('base64url')],
      ["SQL-ish ' or 1=1--", encodeURIComponent("' or 1=1--")],
    ])('when the cursor is %s, then 400 naming cursor', async (_, cursor) => {
      await createTickets(2);

      const res = await t.http.get(`/api/tickets?cursor=${cursor}`);

      expectErrors(res, 400, ['cursor']);
    });

    it('when the cursor is given twice, then 400 naming cursor', async () => {
      await createTickets(3);
      const first = await t.http.get('/api/tickets?limit=1');
      const cursor = new URL(nextLink(first)!, 'http://x').searchParams.get('cursor');

      const res = await t.http.get(`/api/tickets?cursor=${cursor}&cursor=${cursor}`);

      expectErrors(res, 400, ['cursor']);
    });

    it('when both limit and cursor are bad, then 400 naming both', async () => {
      const res = await t.http.get('/api/tickets?limit=0&cursor=garbage!');

      expectErrors(res, 400, ['limit', 'cursor']);
    });
  });
});
