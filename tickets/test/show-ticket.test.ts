import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { complete, createTicket, expectErrors, getTicket, reserve } from './helpers.js';
import { aUser, startTickets } from './setup.js';

let t: Awaited<ReturnType<typeof startTickets>>;
beforeAll(async () => {
  t = await startTickets();
  await t.listen(listeners);
});
afterAll(() => t.close());

describe('GET /api/tickets/:id', () => {
  it('when the ticket exists, then 200 with the ticket, without signing in', async () => {
    const seller = await aUser();
    const created = await createTicket(t, seller, { title: 'Ballet', price: 45.5 });

    const res = await t.http.get(`/api/tickets/${created.id}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: created.id,
      title: 'Ballet',
      price: 45.5,
      userId: seller.id,
      version: 0,
      orderId: null,
      status: 'available',
    });
  });

  it('when signed in as someone other than the owner, then 200 with the ticket too', async () => {
    const created = await createTicket(t, await aUser());
    const visitor = await aUser();

    const res = await t.http.get(`/api/tickets/${created.id}`).set('Cookie', visitor.cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it('when several tickets exist, then each id shows its own ticket', async () => {
    const seller = await aUser();
    const a = await createTicket(t, seller, { title: 'A', price: 1 });
    const b = await createTicket(t, seller, { title: 'B', price: 2 });

    const resA = await t.http.get(`/api/tickets/${a.id}`);
    const resB = await t.http.get(`/api/tickets/${b.id}`);

    expect(resA.body).toEqual(a);
    expect(resB.body).toEqual(b);
  });

  it('when the ticket is reserved, then 200 with its orderId set and its version bumped', async () => {
    const created = await createTicket(t, await aUser(), { title: 'Reserved', price: 30 });
    const orderId = await reserve(t, created);

    const res = await t.http.get(`/api/tickets/${created.id}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created, orderId, version: 1, status: 'reserved' });
  });

  it('when the ticket is for sale, reserved, then sold, then its status says so each time and a sold ticket keeps its order', async () => {
    const created = await createTicket(t, await aUser(), { title: 'Three states', price: 30 });
    expect(created.status).toBe('available');
    expect((await getTicket(t, created.id)).status).toBe('available');

    const orderId = await reserve(t, created);
    expect(await getTicket(t, created.id)).toEqual({ ...created, orderId, version: 1, status: 'reserved' });

    await complete(t, created, orderId);
    expect(await getTicket(t, created.id)).toEqual({ ...created, orderId, version: 2, status: 'sold' });
  });

  it('when the UUID is written in upper case, then 200 with the same ticket', async () => {
    const created = await createTicket(t, await aUser());

    const res = await t.http.get(`/api/tickets/${created.id.toUpperCase()}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it('when no ticket has that UUID, then 404 in the error shape', async () => {
    await createTicket(t, await aUser());

    const res = await t.http.get(`/api/tickets/${randomUUID()}`);

    expectErrors(res, 404, [undefined]);
  });

  it.each([
    ['abc', 'abc'],
    ['1', '1'],
    ['0', '0'],
    ['a 500-character string', 'a'.repeat(500)],
    ['%00', '%00'],
    ["SQL-ish ' or 1=1--", encodeURIComponent("' or 1=1--")],
    ['a UUID with a trailing character', `${randomUUID()}x`],
    ['a UUID without its dashes', randomUUID().replaceAll('-', '')],
    ['a UUID with a non-hex digit', '0000000g-0000-4000-8000-000000000000'],
    ['an encoded slash', '%2F'],
    ['a JSON object', encodeURIComponent('{"$ne":null}')],
  ])('when the id is %s, then 404 in the error shape, never 500', async (_, id) => {
    const res = await t.http.get(`/api/tickets/${id}`);

    expectErrors(res, 404, [undefined]);
  });

  it('when the id is broken percent-encoding, then 400 in the error shape, never 500', async () => {
    const res = await t.http.get('/api/tickets/%E0%A4%A');

    expectErrors(res, 400, [undefined]);
  });
});
