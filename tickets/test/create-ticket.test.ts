import { readStream, eventually } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicket, expectErrors, getTicket, publishedEvents } from './helpers.js';
import { aUser, startTickets } from './setup.js';

let t: Awaited<ReturnType<typeof startTickets>>;
beforeAll(async () => {
  t = await startTickets();
});
afterAll(() => t.close());

/** What a refused request must leave alone: the listing and the ticket.created events. */
async function observableState() {
  const list = await t.http.get('/api/tickets?limit=200');
  expect(list.status).toBe(200);
  return { tickets: list.body as unknown[], created: await publishedEvents(t, 'ticket.created') };
}

describe('POST /api/tickets', () => {
  it('when signed in with a valid body, then 201 and the ticket, and ticket.created is published', async () => {
    const seller = await aUser();
    const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title: 'Concert', price: 12.5 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      title: 'Concert',
      price: 12.5,
      userId: seller.id,
      version: 0,
      orderId: null,
      status: 'available',
    });
    const events = await eventually(async () => {
      const e = await readStream(t.bus, 'ticket.created');
      return e.length > 0 && e;
    });
    expect(events.map((e) => e.payload)).toEqual([
      { id: res.body.id, version: 0, title: 'Concert', price: 12.5, userId: seller.id },
    ]);
    expect(events[0]!.headers['Nats-Msg-Id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('when a ticket is created, then its id is a UUID and GET /api/tickets/:id shows the same ticket', async () => {
    const seller = await aUser();

    const created = await createTicket(t, seller, { title: 'Opera', price: 80 });

    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await getTicket(t, created.id)).toEqual(created);
  });

  it('when the same user creates two tickets, then each gets its own id', async () => {
    const seller = await aUser();

    const a = await createTicket(t, seller, { title: 'Same', price: 5 });
    const b = await createTicket(t, seller, { title: 'Same', price: 5 });

    expect(a.id).not.toBe(b.id);
  });

  describe('accepted edge values', () => {
    it.each([
      ['a title of exactly 200 characters', 'a'.repeat(200), 'a'.repeat(200)],
      ['a title with surrounding whitespace', '  Jazz night \t\n', 'Jazz night'],
      ['a 200-character title inside surrounding whitespace', `  ${'b'.repeat(200)}  `, 'b'.repeat(200)],
      ['a one-character title', 'x', 'x'],
      ['a title of 200 non-ASCII characters', 'é'.repeat(200), 'é'.repeat(200)],
    ])('when the body has %s, then 201 and the trimmed title is stored and published', async (_, title, stored) => {
      const seller = await aUser();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title, price: 10 });

      expect(res.status).toBe(201);
      expect(res.body.title).toBe(stored);
      expect((await getTicket(t, res.body.id)).title).toBe(stored);
      const events = await publishedEvents(t, 'ticket.created');
      expect(events).toContainEqual({ id: res.body.id, version: 0, title: stored, price: 10, userId: seller.id });
    });

    it.each([1_000_000, 12.34, 0.5, 19.99, 0.57, 0.7, 1, 999_999.99, 1.1, 4.35])(
      'when the price is %s, then 201 and the price round-trips exactly in the response, GET and the event',
      async (price) => {
        const seller = await aUser();

        const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title: 'Priced', price });

        expect(res.status).toBe(201);
        expect(res.body.price).toBe(price);
        expect((await getTicket(t, res.body.id)).price).toBe(price);
        const events = await publishedEvents(t, 'ticket.created');
        expect(events).toContainEqual({ id: res.body.id, version: 0, title: 'Priced', price, userId: seller.id });
      },
    );

    it('when the price is sent as 12.50 in the JSON text, then 201 and it reads back as 12.5', async () => {
      const seller = await aUser();

      const res = await t.http
        .post('/api/tickets')
        .set('Cookie', seller.cookie)
        .set('Content-Type', 'application/json')
        .send('{"title":"Trailing zero","price":12.50}');

      expect(res.status).toBe(201);
      expect(res.body.price).toBe(12.5);
    });

    it('when the body carries extra fields (id, userId, version, orderId), then they are ignored', async () => {
      const seller = await aUser();
      const someoneElse = randomUUID();
      const chosenId = randomUUID();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({
        title: 'Extras',
        price: 7,
        id: chosenId,
        userId: someoneElse,
        version: 42,
        orderId: randomUUID(),
        admin: true,
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        title: 'Extras',
        price: 7,
        userId: seller.id,
        version: 0,
        orderId: null,
        status: 'available',
      });
      expect(res.body.id).not.toBe(chosenId);
      const listed = await t.http.get('/api/tickets?limit=200');
      expect(listed.body).toContainEqual(res.body);
    });
  });

  describe('refused requests change nothing', () => {
    it('when there is no session cookie, then 401 and nothing is created', async () => {
      const before = await observableState();

      const res = await t.http.post('/api/tickets').send({ title: 'Sneaky', price: 10 });

      expectErrors(res, 401, [undefined]);
      expect(await observableState()).toEqual(before);
    });

    it('when the session cookie is empty, then 401 and nothing is created', async () => {
      const before = await observableState();

      const res = await t.http.post('/api/tickets').set('Cookie', 'session=').send({ title: 'Sneaky', price: 10 });

      expectErrors(res, 401, [undefined]);
      expect(await observableState()).toEqual(before);
    });

    it.each([
      ['an empty title', { title: '', price: 10 }, ['title']],
      ['a whitespace-only title', { title: ' \t\n ', price: 10 }, ['title']],
      ['a title of 201 characters', { title: 'a'.repeat(201), price: 10 }, ['title']],
      ['a title of 201 non-ASCII characters', { title: 'é'.repeat(201), price: 10 }, ['title']],
      ['no title', { price: 10 }, ['title']],
      ['a null title', { title: null, price: 10 }, ['title']],
      ['a numeric title', { title: 42, price: 10 }, ['title']],
      ['an array title', { title: ['a'], price: 10 }, ['title']],
      ['no price', { title: 'No price' }, ['price']],
      ['a price of 0', { title: 'Free', price: 0 }, ['price']],
      ['a price of -0', { title: 'Free', price: -0 }, ['price']],
      ['a negative price', { title: 'Negative', price: -5 }, ['price']],
      ['a price of -0.01', { title: 'Negative', price: -0.01 }, ['price']],
      ['a price of 0.01', { title: 'Below the minimum charge', price: 0.01 }, ['price']],
      ['a price of 0.49', { title: 'Below the minimum charge', price: 0.49 }, ['price']],
      ['a price of 1000000.01', { title: 'Too dear', price: 1_000_000.01 }, ['price']],
      ['a price of 1000001', { title: 'Too dear', price: 1_000_001 }, ['price']],
      ['a price of 1e21', { title: 'Too dear', price: 1e21 }, ['price']],
      ['a price of 12.345', { title: 'Three decimals', price: 12.345 }, ['price']],
      ['a price of 0.001', { title: 'Three decimals', price: 0.001 }, ['price']],
      ['a price of 0.005', { title: 'Half a cent', price: 0.005 }, ['price']],
      ['the price "10" as a string', { title: 'Stringly', price: '10' }, ['price']],
      ['the price "NaN" as a string', { title: 'NaN', price: 'NaN' }, ['price']],
      ['the price "Infinity" as a string', { title: 'Inf', price: 'Infinity' }, ['price']],
      ['a null price', { title: 'Null', price: null }, ['price']],
      ['a boolean price', { title: 'Bool', price: true }, ['price']],
      ['an object price', { title: 'Obj', price: { amount: 10 } }, ['price']],
      ['an array price', { title: 'Arr', price: [10] }, ['price']],
      ['an empty object', {}, ['title', 'price']],
      ['an empty title and a price of 0', { title: '', price: 0 }, ['title', 'price']],
    ])('when the body has %s, then 400 naming the field and nothing is created', async (_, body, fields) => {
      const seller = await aUser();
      const before = await observableState();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send(body);

      expectErrors(res, 400, fields);
      expect(await observableState()).toEqual(before);
    });

    it.each([0.49, 0.25, 0.01, 0, -5])(
      'when the price is %s (below 0.50, the minimum charge), then 400 "Price must be at least 0.50" on price and nothing is created',
      async (price) => {
        const seller = await aUser();
        const before = await observableState();

        const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title: 'Too cheap to pay for', price });

        expect(res.status).toBe(400);
        expect(res.body).toEqual({ errors: [{ message: 'Price must be at least 0.50', field: 'price' }] });
        expect(await observableState()).toEqual(before);
      },
    );

    it('when the price is 1e309 in the JSON text (Infinity once parsed), then 400 naming price', async () => {
      const seller = await aUser();
      const before = await observableState();

      const res = await t.http
        .post('/api/tickets')
        .set('Cookie', seller.cookie)
        .set('Content-Type', 'application/json')
        .send('{"title":"Infinite","price":1e309}');

      expectErrors(res, 400, ['price']);
      expect(await observableState()).toEqual(before);
    });

    it.each([
      ['an array of tickets', 'application/json', JSON.stringify([{ title: 'In array', price: 10 }])],
      ['malformed JSON', 'application/json', '{"title": "Broken", "price": 10'],
      ['NaN in the JSON text', 'application/json', '{"title":"NaN","price":NaN}'],
      ['a JSON string', 'application/json', '"title"'],
      ['a JSON null', 'application/json', 'null'],
    ])('when the body is %s, then 400 without a field and nothing is created', async (_, type, raw) => {
      const seller = await aUser();
      const before = await observableState();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 400, [undefined]);
      expect(await observableState()).toEqual(before);
    });

    it.each([
      ['a form-encoded body', 'application/x-www-form-urlencoded', 'title=Form&price=10'],
      ['a plain-text body', 'text/plain', '{"title":"Text","price":10}'],
    ])('when the body is %s, then 415 without a field and nothing is created', async (_, type, raw) => {
      const seller = await aUser();
      const before = await observableState();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 415, [undefined]);
      expect(await observableState()).toEqual(before);
    });

    it('when the JSON body is empty, then 400 naming both title and price and nothing is created', async () => {
      const seller = await aUser();
      const before = await observableState();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).set('Content-Type', 'application/json').send('');

      expectErrors(res, 400, ['title', 'price']);
      expect(await observableState()).toEqual(before);
    });

    it('when the body is over 100 kB, then 413 and nothing is created', async () => {
      const seller = await aUser();
      const before = await observableState();

      const res = await t.http
        .post('/api/tickets')
        .set('Cookie', seller.cookie)
        .send({ title: 'Big', price: 10, padding: 'x'.repeat(101 * 1024) });

      expectErrors(res, 413, [undefined]);
      expect(await observableState()).toEqual(before);
    });

    it('when the body is just under 100 kB of extra fields, then 201 (the limit is not lower)', async () => {
      const seller = await aUser();

      const res = await t.http
        .post('/api/tickets')
        .set('Cookie', seller.cookie)
        .send({ title: 'Nearly big', price: 10, padding: 'x'.repeat(99 * 1024) });

      expect(res.status).toBe(201);
      expect(res.body.title).toBe('Nearly big');
    });
  });

  describe('inputs that once slipped through validation', () => {
    // Rounds to 0 cents: it must be refused before it reaches the event contract.
    it('when the price is 0.000000001, then 400 naming price', async () => {
      const seller = await aUser();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title: 'Tiny', price: 1e-9 });

      expectErrors(res, 400, ['price']);
    });

    // More than 2 decimals must be refused, not silently rounded.
    it('when the price is 12.3400000001, then 400 naming price', async () => {
      const seller = await aUser();

      const res = await t.http
        .post('/api/tickets')
        .set('Cookie', seller.cookie)
        .send({ title: 'Almost', price: 12.3400000001 });

      expectErrors(res, 400, ['price']);
    });

    // PostgreSQL text cannot hold U+0000.
    it('when the title contains a NUL character, then 400 naming title', async () => {
      const seller = await aUser();

      const res = await t.http.post('/api/tickets').set('Cookie', seller.cookie).send({ title: 'a\u0000b', price: 10 });

      expectErrors(res, 400, ['title']);
    });
  });
});
