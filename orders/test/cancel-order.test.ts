import { publishTestEvent } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import {
  createOrder,
  expectErrors,
  getOrder,
  observableState,
  payFor,
  publishedEvents,
  replicateTicket,
  startPayment,
  type OrderBody,
} from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Awaited<ReturnType<typeof startOrders>>;
beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
});
afterAll(() => t.close());

/** The published order.cancelled payloads of one order, oldest first. */
async function cancelsOf(order: OrderBody) {
  const events = (await publishedEvents(t, 'order.cancelled')) as { id: string }[];
  return events.filter((e) => e.id === order.id);
}

const cancel = (id: string, cookie?: string) => {
  const req = t.http.delete(`/api/orders/${id}`);
  return cookie === undefined ? req : req.set('Cookie', cookie);
};

describe('DELETE /api/orders/:id', () => {
  it('when the owner cancels a created order, then 204, the order is cancelled at version 1, and order.cancelled is published', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);

    const res = await cancel(order.id, buyer.cookie);

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'cancelled', version: 1 });
    expect(await cancelsOf(order)).toEqual([{ id: order.id, version: 1, ticket: { id: ticket.id } }]);
  });

  it('when the owner cancels an order awaiting payment, then 204, it is cancelled at version 2, order.cancelled is published and another buyer can reserve the ticket', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);
    await startPayment(t, buyer, order.id);

    const res = await cancel(order.id, buyer.cookie);

    expect(res.status).toBe(204);
    expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'cancelled', version: 2 });
    expect(await cancelsOf(order)).toEqual([{ id: order.id, version: 2, ticket: { id: ticket.id } }]);
    const next = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
    expect(next.status).toBe(201);
  });

  it('when an order is cancelled, then another buyer can reserve the ticket', async () => {
    const first = await aUser();
    const second = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, first, ticket.id);
    expect((await t.http.post('/api/orders').set('Cookie', second.cookie).send({ ticketId: ticket.id })).status).toBe(409);

    expect((await cancel(order.id, first.cookie)).status).toBe(204);
    const res = await t.http.post('/api/orders').set('Cookie', second.cookie).send({ ticketId: ticket.id });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ userId: second.id, status: 'created', ticket: { id: ticket.id } });
  });

  it('when an order is cancelled, then the same buyer can reserve the ticket again with a new order', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const order = await createOrder(t, buyer, ticket.id);
    await cancel(order.id, buyer.cookie);

    const again = await createOrder(t, buyer, ticket.id);

    expect(again.id).not.toBe(order.id);
    expect(again.status).toBe('created');
  });

  it('when the order is already cancelled, then 204 again, and no second order.cancelled', async () => {
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
    await cancel(order.id, buyer.cookie);
    const before = await observableState(t);

    const res = await cancel(order.id, buyer.cookie);

    expect(res.status).toBe(204);
    expect((await getOrder(t, buyer, order.id)).version).toBe(1);
    expect(await observableState(t)).toEqual(before);
    expect(await cancelsOf(order)).toHaveLength(1);
  });

  it('when the owner cancels the same order five times at once, then every answer is 204 and there is exactly one order.cancelled', async () => {
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);

    const results = await Promise.all([1, 2, 3, 4, 5].map(() => cancel(order.id, buyer.cookie)));

    expect(results.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    expect((await getOrder(t, buyer, order.id)).version).toBe(1);
    expect(await cancelsOf(order)).toEqual([expect.objectContaining({ version: 1 })]);
  });

  describe('refused cancels change nothing', () => {
    it('when the order is complete, then 400 "Cannot cancel a completed order", it stays complete and its ticket stays taken', async () => {
      const buyer = await aUser();
      const ticket = await replicateTicket(t);
      const order = await createOrder(t, buyer, ticket.id);
      await payFor(t, buyer, order.id);
      const before = await observableState(t);

      const res = await cancel(order.id, buyer.cookie);

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ message: 'Cannot cancel a completed order' }] });
      expect(await getOrder(t, buyer, order.id)).toEqual({ ...order, status: 'complete', version: 1 });
      expect(await observableState(t)).toEqual(before);
      const retry = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });
      expect(retry.status).toBe(409);
    });

    it('when there is no session cookie, then 401 and the order stays created', async () => {
      const buyer = await aUser();
      const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
      const before = await observableState(t);

      const res = await cancel(order.id);

      expectErrors(res, 401, [undefined]);
      expect(await getOrder(t, buyer, order.id)).toEqual(order);
      expect(await observableState(t)).toEqual(before);
    });

    it('when there is no session cookie and the order is unknown, then 401 (not 404)', async () => {
      const res = await cancel(randomUUID());

      expectErrors(res, 401, [undefined]);
    });

    it("when another user cancels the order, then 404 with none of the order's data, and it stays created", async () => {
      const buyer = await aUser();
      const intruder = await aUser();
      const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
      const before = await observableState(t);

      const res = await cancel(order.id, intruder.cookie);

      expectErrors(res, 404, [undefined]);
      expect(res.text).not.toContain(buyer.id);
      expect(await getOrder(t, buyer, order.id)).toEqual(order);
      expect(await observableState(t)).toEqual(before);
    });

    it("when another user cancels someone's completed order, then 404 (not 400: its state does not leak)", async () => {
      const buyer = await aUser();
      const order = await createOrder(t, buyer, (await replicateTicket(t)).id);
      await payFor(t, buyer, order.id);

      const res = await cancel(order.id, (await aUser()).cookie);

      expectErrors(res, 404, [undefined]);
    });

    it('when no order has that UUID, then 404 and nothing changes', async () => {
      const before = await observableState(t);

      const res = await cancel(randomUUID(), (await aUser()).cookie);

      expectErrors(res, 404, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it.each([
      ['abc', 'abc'],
      ['1', '1'],
      ['a 500-character string', 'a'.repeat(500)],
      ['%00', '%00'],
      ["SQL-ish ' or 1=1--", encodeURIComponent("' or 1=1--")],
      ['a UUID with a trailing character', `${randomUUID()}x`],
    ])('when the id is %s, then 404 in the error shape and nothing changes', async (_, id) => {
      const before = await observableState(t);

      const res = await cancel(id, (await aUser()).cookie);

      expectErrors(res, 404, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it('when the id is broken percent-encoding, then 400 in the error shape, never 500', async () => {
      const res = await cancel('%E0%A4%A', (await aUser()).cookie);

      expectErrors(res, 400, [undefined]);
    });
  });

  it('when the order expired while the buyer cancels, then exactly one of them cancels it and one order.cancelled is published', async () => {
    const buyer = await aUser();
    const order = await createOrder(t, buyer, (await replicateTicket(t)).id);

    await Promise.all([
      publishTestEvent(t.bus, 'expiration.complete', { orderId: order.id }),
      cancel(order.id, buyer.cookie).then((r) => expect(r.status).toBe(204)),
    ]);

    expect((await getOrder(t, buyer, order.id)).status).toBe('cancelled');
    // The expiry may still be in flight: wait until the listener has handled it.
    await expect
      .poll(async () =>
        (await t.service.metrics.eventsHandled.get()).values.some(
          (v) => v.labels.subject === 'expiration.complete' && v.value > 0,
        ),
      )
      .toBe(true);
    expect((await getOrder(t, buyer, order.id)).version).toBe(1);
    expect(await cancelsOf(order)).toEqual([expect.objectContaining({ version: 1 })]);
  });
});
