import { readStream, eventually } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import {
  createOrder,
  expectErrors,
  getOrder,
  observableState,
  orderRows,
  payFor,
  publishedEvents,
  replicateTicket,
} from './helpers.js';
import { aUser, startOrders } from './setup.js';

let t: Awaited<ReturnType<typeof startOrders>>;
beforeAll(async () => {
  t = await startOrders();
  await t.listen(listeners);
});
afterAll(() => t.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The published order.created payloads for one ticket, oldest first. */
async function createdFor(ticketId: string) {
  const events = (await publishedEvents(t, 'order.created')) as { ticket: { id: string } }[];
  return events.filter((e) => e.ticket.id === ticketId);
}

describe('POST /api/orders', () => {
  it('when a signed-in user names a free ticket, then 201 with a created order expiring in 15 minutes, and order.created is published', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t, { title: 'Concert', price: 12.5 });
    const before = Date.now();

    const res = await t.http.post('/api/orders').set('Cookie', buyer.cookie).send({ ticketId: ticket.id });

    const after = Date.now();
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      userId: buyer.id,
      status: 'created',
      expiresAt: expect.any(String),
      version: 0,
      ticket: { id: ticket.id, title: 'Concert', price: 12.5 },
    });
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(new Date(expiresAt).toISOString()).toBe(res.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 900_000);
    const events = await eventually(async () => {
      const e = (await readStream(t.bus, 'order.created')).filter((x) => (x.payload as { id: string }).id === res.body.id);
      return e.length > 0 && e;
    });
    expect(events.map((e) => e.payload)).toEqual([
      {
        id: res.body.id,
        version: 0,
        status: 'created',
        userId: buyer.id,
        expiresAt: res.body.expiresAt,
        ticket: { id: ticket.id, price: 12.5 },
      },
    ]);
    expect(events[0]!.headers['Nats-Msg-Id']).toMatch(UUID);
  });

  it('when an order is created, then GET /api/orders/:id shows the same order', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t);

    const created = await createOrder(t, buyer, ticket.id);

    expect(await getOrder(t, buyer, created.id)).toEqual(created);
  });

  it('when EXPIRATION_WINDOW_SECONDS is 60, then the order expires 60 seconds after it is made', async () => {
    const short = await startOrders({ env: { EXPIRATION_WINDOW_SECONDS: '60' } });
    try {
      await short.listen(listeners);
      const ticket = await replicateTicket(short);
      const before = Date.now();

      const order = await createOrder(short, await aUser(), ticket.id);

      const expiresAt = Date.parse(order.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 60_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    } finally {
      await short.close();
    }
  });

  it.each([0.01, 19.99, 1_000_000, 4.35])(
    'when the ticket costs %s, then the order and order.created carry that exact price in dollars',
    async (price) => {
      const ticket = await replicateTicket(t, { price });

      const order = await createOrder(t, await aUser(), ticket.id);

      expect(order.ticket.price).toBe(price);
      expect(await createdFor(ticket.id)).toEqual([expect.objectContaining({ ticket: { id: ticket.id, price } })]);
    },
  );

  it('when the buyer is the ticket seller, then 201 (buying your own ticket is allowed)', async () => {
    const seller = await aUser();
    const ticket = await replicateTicket(t, { userId: seller.id });

    const res = await t.http.post('/api/orders').set('Cookie', seller.cookie).send({ ticketId: ticket.id });

    expect(res.status).toBe(201);
    expect(res.body.userId).toBe(seller.id);
  });

  it('when the ticketId is in upper case, then it names the same ticket', async () => {
    const ticket = await replicateTicket(t);

    const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id.toUpperCase() });

    expect(res.status).toBe(201);
    expect(res.body.ticket.id).toBe(ticket.id);
  });

  it('when the body carries id, userId, status, version or expiresAt, then they are ignored', async () => {
    const buyer = await aUser();
    const ticket = await replicateTicket(t);
    const chosenId = randomUUID();

    const res = await t.http.post('/api/orders').set('Cookie', buyer.cookie).send({
      ticketId: ticket.id,
      id: chosenId,
      userId: randomUUID(),
      status: 'complete',
      version: 7,
      expiresAt: '2099-01-01T00:00:00.000Z',
    });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ userId: buyer.id, status: 'created', version: 0 });
    expect(res.body.id).not.toBe(chosenId);
    expect(Date.parse(res.body.expiresAt)).toBeLessThan(Date.now() + 901_000);
  });

  it('when 25 users order the same ticket at once, then exactly one gets 201, the other 24 get 409, and one order.created is published', async () => {
    const ticket = await replicateTicket(t);
    const buyers = await Promise.all(Array.from({ length: 25 }, () => aUser()));

    const results = await Promise.all(
      buyers.map((b) => t.http.post('/api/orders').set('Cookie', b.cookie).send({ ticketId: ticket.id })),
    );

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(24);
    for (const r of results.filter((x) => x.status === 409)) expectErrors(r, 409, [undefined]);
    const winner = results.find((r) => r.status === 201)!.body;
    const rows = (await orderRows(t)).filter((o) => o.ticketId === ticket.id);
    expect(rows.map((o) => o.id)).toEqual([winner.id]);
    expect(await createdFor(ticket.id)).toEqual([expect.objectContaining({ id: winner.id })]);
  });

  describe('refused requests change nothing', () => {
    it('when there is no session cookie, then 401 and no order is made', async () => {
      const ticket = await replicateTicket(t);
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').send({ ticketId: ticket.id });

      expectErrors(res, 401, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it('when the session cookie is not a valid token, then 401 and no order is made', async () => {
      const ticket = await replicateTicket(t);
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', 'session=not.a.jwt').send({ ticketId: ticket.id });

      expectErrors(res, 401, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it('when there is no session cookie and the body is invalid, then 401 (not 400)', async () => {
      const res = await t.http.post('/api/orders').send({ ticketId: 'nope' });

      expectErrors(res, 401, [undefined]);
    });

    it('when someone else holds the ticket, then 409 and nothing changes', async () => {
      const ticket = await replicateTicket(t);
      await createOrder(t, await aUser(), ticket.id);
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });

      expectErrors(res, 409, [undefined]);
      expect(res.body.errors[0].message).toBe('Ticket is already reserved');
      expect(await observableState(t)).toEqual(before);
    });

    it('when the buyer already holds the ticket, then 409 and nothing changes', async () => {
      const buyer = await aUser();
      const ticket = await replicateTicket(t);
      await createOrder(t, buyer, ticket.id);
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', buyer.cookie).send({ ticketId: ticket.id });

      expectErrors(res, 409, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it('when the ticket was paid for by another order, then 409 "Ticket is already sold" (a complete order keeps its ticket)', async () => {
      const first = await aUser();
      const ticket = await replicateTicket(t);
      const paid = await createOrder(t, first, ticket.id);
      await payFor(t, first, paid.id);
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: ticket.id });

      expectErrors(res, 409, [undefined]);
      expect(res.body.errors[0].message).toBe('Ticket is already sold');
      expect(await observableState(t)).toEqual(before);
    });

    it('when no ticket with that id has been replicated, then 404 and no order is made', async () => {
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send({ ticketId: randomUUID() });

      expectErrors(res, 404, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it.each([
      ['no ticketId', {}],
      ['a null ticketId', { ticketId: null }],
      ['an empty ticketId', { ticketId: '' }],
      ['a numeric ticketId', { ticketId: 42 }],
      ['a boolean ticketId', { ticketId: true }],
      ['an array ticketId', { ticketId: [randomUUID()] }],
      ['an object ticketId', { ticketId: { $ne: null } }],
      ['a non-UUID string', { ticketId: 'abc' }],
      ['a UUID with a trailing character', { ticketId: `${randomUUID()}x` }],
      ['a UUID without its dashes', { ticketId: randomUUID().replaceAll('-', '') }],
      ['a UUID with surrounding spaces', { ticketId: ` ${randomUUID()} ` }],
      ["SQL-ish ' or 1=1--", { ticketId: "' or 1=1--" }],
      ['a misspelt field', { ticketID: randomUUID() }],
    ])('when the body has %s, then 400 naming ticketId and no order is made', async (_, body) => {
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).send(body);

      expectErrors(res, 400, ['ticketId']);
      expect(await observableState(t)).toEqual(before);
    });

    it('when the JSON body is empty, then 400 naming ticketId', async () => {
      const res = await t.http
        .post('/api/orders')
        .set('Cookie', (await aUser()).cookie)
        .set('Content-Type', 'application/json')
        .send('');

      expectErrors(res, 400, ['ticketId']);
    });

    it.each([
      ['malformed JSON', 'application/json', '{"ticketId": '],
      ['a JSON null', 'application/json', 'null'],
      ['a JSON string', 'application/json', '"ticketId"'],
      ['a JSON array', 'application/json', JSON.stringify([{ ticketId: randomUUID() }])],
    ])('when the body is %s, then 400 without a field and no order is made', async (_, type, raw) => {
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 400, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it.each([
      ['a form-encoded body', 'application/x-www-form-urlencoded', `ticketId=${randomUUID()}`],
      ['a plain-text body', 'text/plain', `{"ticketId":"${randomUUID()}"}`],
    ])('when the body is %s, then 415 without a field and no order is made', async (_, type, raw) => {
      const before = await observableState(t);

      const res = await t.http.post('/api/orders').set('Cookie', (await aUser()).cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 415, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });

    it('when the body is over 100 kB, then 413 and no order is made', async () => {
      const ticket = await replicateTicket(t);
      const before = await observableState(t);

      const res = await t.http
        .post('/api/orders')
        .set('Cookie', (await aUser()).cookie)
        .send({ ticketId: ticket.id, padding: 'x'.repeat(101 * 1024) });

      expectErrors(res, 413, [undefined]);
      expect(await observableState(t)).toEqual(before);
    });
  });
});
