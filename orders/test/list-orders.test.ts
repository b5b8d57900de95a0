import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { createOrder, expectErrors, replicateTicket } from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Awaited<ReturnType<typeof startOrders>>;
beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
});
afterAll(() => t.close());

describe('GET /api/orders', () => {
  it("when the user has orders, then 200 with exactly that user's orders, newest first, each with its ticket", async () => {
    const buyer = await aUser();
    const other = await aUser();
    const tickets = await Promise.all([1, 2, 3].map((i) => replicateTicket(t, { title: `Show ${i}`, price: i * 10 })));
    const mine = [];
    for (const ticket of tickets) mine.push(await createOrder(t, buyer, ticket.id));
    await createOrder(t, other, (await replicateTicket(t)).id);

    const res = await t.http.get('/api/orders').set('Cookie', buyer.cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual([...mine].reverse());
    expect(res.body.map((o: { ticket: { title: string; price: number } }) => o.ticket)).toEqual([
      { id: tickets[2]!.id, title: 'Show 3', price: 30 },
      { id: tickets[1]!.id, title: 'Show 2', price: 20 },
      { id: tickets[0]!.id, title: 'Show 1', price: 10 },
    ]);
  });

  it('when the user has no orders, then 200 with an empty array', async () => {
    await createOrder(t, await aUser(), (await replicateTicket(t)).id);

    const res = await t.http.get('/api/orders').set('Cookie', (await aUser()).cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('when an order is cancelled, then it is still listed, with status cancelled and version 1', async () => {
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    expect((await t.http.delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie)).status).toBe(204);

    const res = await t.http.get('/api/orders').set('Cookie', buyer.cookie);

    expect(res.body).toEqual([{ ...order, status: 'cancelled', version: 1 }]);
  });

  it('when there is no session cookie, then 401', async () => {
    const res = await t.http.get('/api/orders');

    expectErrors(res, 401, [undefined]);
  });

  it('when the session cookie is not a valid token, then 401', async () => {
    const res = await t.http.get('/api/orders').set('Cookie', 'session=garbage');

    expectErrors(res, 401, [undefined]);
  });
});
