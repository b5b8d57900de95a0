import { loadConfig } from '@ticketing/common';
import { testKeys } from '@ticketing/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';
import { listeners } from '../src/events/listeners.js';
import { createOrder, observableState, orderRows, payFor, replicateTicket, startPayment, type Orders, type User } from './helpers.js';
import { aUser, startOrders } from './setup.js';

/** One user may hold at most MAX_LIVE_ORDERS_PER_USER unpaid orders; here 2. */
let t: Orders;
beforeAll(async () => {
  t = await startOrders({ env: { MAX_LIVE_ORDERS_PER_USER: '2' } });
  await t.listen(listeners);
});
afterAll(() => t.close());

const TOO_MANY = { errors: [{ message: 'Too many orders awaiting payment; pay for or cancel one first' }] };

const order = (user: User, ticketId: string) => t.http.post('/api/orders').set('Cookie', user.cookie).send({ ticketId });

/** A buyer already holding `n` unpaid orders, and those orders. */
async function buyerWith(n: number) {
  const buyer = await aUser();
  const held = [];
  for (let i = 0; i < n; i++) held.push(await createOrder(t, buyer, (await replicateTicket(t)).id));
  return { buyer, held };
}

describe('live orders per user', () => {
  it('when a user holds the maximum of unpaid orders, then another gets 409 in the error shape, nothing is created and the ticket stays free', async () => {
    const { buyer } = await buyerWith(2);
    const ticket = await replicateTicket(t);
    const before = await observableState(t);

    const res = await order(buyer, ticket.id);

    expect(res.status).toBe(409);
    expect(res.body).toEqual(TOO_MANY);
    expect(await observableState(t)).toEqual(before);
    expect((await order(await aUser(), ticket.id)).status).toBe(201);
  });

  it('when one of them awaits its payment, then it still counts', async () => {
    const { buyer, held } = await buyerWith(2);
    await startPayment(t, buyer, held[0]!.id);

    const res = await order(buyer, (await replicateTicket(t)).id);

    expect(res.status).toBe(409);
    expect(res.body).toEqual(TOO_MANY);
  });

  it('when one of them is cancelled, then the user may order again', async () => {
    const { buyer, held } = await buyerWith(2);
    expect((await t.http.delete(`/api/orders/${held[0]!.id}`).set('Cookie', buyer.cookie)).status).toBe(204);

    expect((await order(buyer, (await replicateTicket(t)).id)).status).toBe(201);
  });

  it('when one of them is paid, then it no longer counts', async () => {
    const { buyer, held } = await buyerWith(2);
    await payFor(t, buyer, held[0]!.id);

    expect((await order(buyer, (await replicateTicket(t)).id)).status).toBe(201);
  });

  it('when a user places several orders at once, then no more than the maximum are created', async () => {
    const buyer = await aUser();
    const tickets = await Promise.all(Array.from({ length: 5 }, () => replicateTicket(t)));

    const results = await Promise.all(tickets.map((ticket) => order(buyer, ticket.id)));

    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409]);
    expect((await orderRows(t)).filter((o) => o.userId === buyer.id)).toHaveLength(2);
  });

  it("when other users hold orders, then they do not count against this user's", async () => {
    await buyerWith(2);

    expect((await order(await aUser(), (await replicateTicket(t)).id)).status).toBe(201);
  });
});

describe('MAX_LIVE_ORDERS_PER_USER', () => {
  const env = { PORT: '3000', DATABASE_URL: 'postgres://u:p@localhost:5432/orders', JWT_PUBLIC_KEY: testKeys.publicKeyPem };

  it('when unset, then it is 5 in production and 1000 elsewhere (test suites place many orders per user)', () => {
    expect(loadConfig(configSchema, { ...env, NODE_ENV: 'production' }).MAX_LIVE_ORDERS_PER_USER).toBe(5);
    expect(loadConfig(configSchema, { ...env, NODE_ENV: 'test' }).MAX_LIVE_ORDERS_PER_USER).toBe(1000);
    expect(loadConfig(configSchema, { ...env, NODE_ENV: 'development' }).MAX_LIVE_ORDERS_PER_USER).toBe(1000);
  });

  it('when unset in tests, then 40 users each ordering once and one user ordering 20 times at once all get their orders', async () => {
    const defaults = await startOrders();
    try {
      await defaults.listen(listeners);
      const place = async (user: User) => {
        const ticket = await replicateTicket(defaults);
        return (await defaults.http.post('/api/orders').set('Cookie', user.cookie).send({ ticketId: ticket.id })).status;
      };
      const busy = await aUser();
      const users = await Promise.all(Array.from({ length: 40 }, () => aUser()));

      const statuses = await Promise.all([...users.map(place), ...Array.from({ length: 20 }, () => place(busy))]);

      expect(statuses.filter((s) => s !== 201)).toEqual([]);
    } finally {
      await defaults.close();
    }
  }, 120_000);

  it.each(['0', '-1', '1.5', 'many'])('when it is %j, then start-up fails naming it', (value) => {
    expect(() => loadConfig(configSchema, { ...env, MAX_LIVE_ORDERS_PER_USER: value })).toThrow(/MAX_LIVE_ORDERS_PER_USER: /);
  });
});
