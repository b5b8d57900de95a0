import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createOrder, expectErrors, getOrder, replicateTicket } from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Awaited<ReturnType<typeof startOrders>>;
beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
});
afterAll(() => t.close());

describe('GET /api/orders/:id', () => {
  it('when the owner asks, then 200 with the order and its ticket', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t, { title: 'Opera', price: 80 });
    const order = await createOrder(t, buyer, ticket.id);

    const res = await t.http.get(`/api/orders/${order.id}`).set('Cookie', buyer.cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: order.id,
      userId: buyer.id,
      status: 'created',
      expiresAt: order.expiresAt,
      version: 0,
      ticket: { id: ticket.id, title: 'Opera', price: 80 },
    });
  });

  it('when the id is in upper case, then it names the same order', async () => {
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);

    expect(await getOrder(t, buyer, order.id.toUpperCase())).toEqual(order);
  });

  it("when another user asks, then 404 with none of the order's data", async () => {
    const buyer = await aUser();
    const intruder = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t, { title: 'Secret title 9c1e' })).id);

    const res = await t.http.get(`/api/orders/${order.id}`).set('Cookie', intruder.cookie);

    expectErrors(res, 404, [undefined]);
    expect(res.text).not.toContain('Secret title 9c1e');
    expect(res.text).not.toContain(buyer.id);
  });

  it("when another user asks, then the answer is the same as for an unknown id (the order's existence does not leak)", async () => {
    const order = await createOrder(t, await aUser(), (await replicateTicket(t)).id);
    const intruder = await aUser();

    const theirs = await t.http.get(`/api/orders/${order.id}`).set('Cookie', intruder.cookie);
    const unknown = await t.http.get(`/api/orders/${randomUUID()}`).set('Cookie', intruder.cookie);

    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(unknown.body);
  });

  it('when no order has that UUID, then 404', async () => {
    const res = await t.http.get(`/api/orders/${randomUUID()}`).set('Cookie', (await aUser()).cookie);

    expectErrors(res, 404, [undefined]);
  });

  it.each([
    ['abc', 'abc'],
    ['1', '1'],
    ['a 500-character string', 'a'.repeat(500)],
    ['%00', '%00'],
    ["SQL-ish ' or 1=1--", encodeURIComponent("' or 1=1--")],
    ['a UUID with a trailing character', `${randomUUID()}x`],
    ['a UUID without its dashes', randomUUID().replaceAll('-', '')],
    ['an encoded slash', '%2F'],
  ])('when the id is %s, then 404 in the error shape, never 500', async (_, id) => {
    const res = await t.http.get(`/api/orders/${id}`).set('Cookie', (await aUser()).cookie);

    expectErrors(res, 404, [undefined]);
  });

  it('when the id is broken percent-encoding, then 400 in the error shape, never 500', async () => {
    const res = await t.http.get('/api/orders/%E0%A4%A').set('Cookie', (await aUser()).cookie);

    expectErrors(res, 400, [undefined]);
  });

  it('when there is no session cookie, then 401 (even for an existing order)', async () => {
    const order = await createOrder(t, await aUser(), (await replicateTicket(t)).id);

    const res = await t.http.get(`/api/orders/${order.id}`);

    expectErrors(res, 401, [undefined]);
  });
});
