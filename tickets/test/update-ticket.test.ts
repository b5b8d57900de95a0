import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { complete, createTicket, expectErrors, getTicket, publishedEvents, reserve, type TicketBody } from './helpers.js';
import { aUser, startTickets } from './setup.js';

let t: Awaited<ReturnType<typeof startTickets>>;
beforeAll(async () => {
  t = await startTickets();
  await t.listen(listeners);
});
afterAll(() => t.close());

/** The published ticket.updated payloads of one ticket, oldest first. */
async function updatesOf(ticketId: string) {
  const events = await publishedEvents(t, 'ticket.updated');
  return events.filter((e) => (e as { id: string }).id === ticketId);
}

/** What a refused edit must leave alone: the ticket, its place in the list and its events. */
async function stateOf(ticket: TicketBody) {
  const list = await t.http.get('/api/tickets?limit=200');
  return {
    ticket: await getTicket(t, ticket.id),
    listed: (list.body as TicketBody[]).filter((x) => x.id === ticket.id),
    updates: await updatesOf(ticket.id),
  };
}

describe('PUT /api/tickets/:id', () => {
  it('when the owner sends a valid body, then 200 with the ticket at version + 1, and ticket.updated carries it', async () => {
    const owner = await aUser();
    const created = await createTicket(t, owner, { title: 'Before', price: 10 });

    const res = await t.http
      .put(`/api/tickets/${created.id}`)
      .set('Cookie', owner.cookie)
      .send({ title: 'After', price: 20.25 });

    expect(res.status).toBe(200);
    const expected = { id: created.id, title: 'After', price: 20.25, userId: owner.id, version: 1, orderId: null, status: 'available' };
    expect(res.body).toEqual(expected);
    expect(await getTicket(t, created.id)).toEqual(expected);
    expect(await updatesOf(created.id)).toEqual([expected]);
  });

  it('when the owner edits twice, then versions 1 and 2, each with its own ticket.updated in order', async () => {
    const owner = await aUser();
    const created = await createTicket(t, owner, { title: 'V0', price: 1 });

    const first = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: 'V1', price: 2 });
    const second = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: 'V2', price: 3 });

    expect(first.status).toBe(200);
    expect(first.body.version).toBe(1);
    expect(second.status).toBe(200);
    expect(second.body.version).toBe(2);
    expect(await updatesOf(created.id)).toEqual([first.body, second.body]);
  });

  it('when the owner sends the same values again, then it still counts as a change: version + 1 and an event', async () => {
    const owner = await aUser();
    const created = await createTicket(t, owner, { title: 'Same', price: 5 });

    const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: 'Same', price: 5 });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created, version: 1 });
    expect(await updatesOf(created.id)).toEqual([res.body]);
  });

  it('when the owner sends five edits at once, then each gets its own version 1..5 and one event each', async () => {
    const owner = await aUser();
    const created = await createTicket(t, owner, { title: 'Race', price: 1 });

    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: `Race ${i}`, price: i }),
      ),
    );

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4, 5]);
    const updates = (await updatesOf(created.id)) as TicketBody[];
    expect(updates.map((u) => u.version)).toEqual([1, 2, 3, 4, 5]);
    const last = results.find((r) => r.body.version === 5)!.body;
    expect(await getTicket(t, created.id)).toEqual(last);
  });

  it('when the title has surrounding whitespace, then it is stored trimmed', async () => {
    const owner = await aUser();
    const created = await createTicket(t, owner);

    const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: '  Trimmed \n', price: 10 });

    expect(res.status).toBe(200);
    expect(res.body.title).toBe('Trimmed');
    expect((await getTicket(t, created.id)).title).toBe('Trimmed');
  });

  it.each([
    ['a 200-character title', { title: 'a'.repeat(200), price: 10 }],
    ['a price of 1000000', { title: 'Max', price: 1_000_000 }],
    ['a price of 0.5 (the minimum charge)', { title: 'Min', price: 0.5 }],
    ['a price of 12.34', { title: 'Two decimals', price: 12.34 }],
  ])('when the owner sends %s, then 200 and it round-trips exactly', async (_, body) => {
    const owner = await aUser();
    const created = await createTicket(t, owner);

    const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send(body);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(body);
    expect(await getTicket(t, created.id)).toMatchObject(body);
  });

  it('when the body carries userId, orderId, version or id, then they are ignored (no ownership transfer)', async () => {
    const owner = await aUser();
    const created = await createTicket(t, owner);

    const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({
      title: 'Mine still',
      price: 11,
      id: randomUUID(),
      userId: randomUUID(),
      orderId: randomUUID(),
      version: 99,
    });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created, title: 'Mine still', price: 11, version: 1 });
    expect(await getTicket(t, created.id)).toEqual(res.body);
  });

  describe('refused edits change nothing', () => {
    it('when there is no session cookie, then 401 and the ticket is unchanged', async () => {
      const owner = await aUser();
      const created = await createTicket(t, owner);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).send({ title: 'Hijacked', price: 1 });

      expectErrors(res, 401, [undefined]);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when there is no session cookie and the ticket is unknown, then 401 (not 404)', async () => {
      const res = await t.http.put(`/api/tickets/${randomUUID()}`).send({ title: 'Hijacked', price: 1 });

      expectErrors(res, 401, [undefined]);
    });

    it('when another user edits the ticket, then 403 with no ticket data and the ticket is unchanged', async () => {
      const owner = await aUser();
      const intruder = await aUser();
      const created = await createTicket(t, owner, { title: 'Secret title 7f3a', price: 10 });
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', intruder.cookie).send({ title: 'Mine now', price: 1 });

      expectErrors(res, 403, [undefined]);
      expect(res.text).not.toContain('Secret title 7f3a');
      expect(res.text).not.toContain(owner.id);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when another user edits a reserved ticket, then 403 (ownership is checked first) and nothing changes', async () => {
      const owner = await aUser();
      const intruder = await aUser();
      const created = await createTicket(t, owner);
      await reserve(t, created);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', intruder.cookie).send({ title: 'Mine now', price: 1 });

      expectErrors(res, 403, [undefined]);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when no ticket has that UUID, then 404 and no ticket is created or updated', async () => {
      const owner = await aUser();
      const id = randomUUID();
      const updatesBefore = await publishedEvents(t, 'ticket.updated');

      const res = await t.http.put(`/api/tickets/${id}`).set('Cookie', owner.cookie).send({ title: 'Ghost', price: 1 });

      expectErrors(res, 404, [undefined]);
      expect((await t.http.get(`/api/tickets/${id}`)).status).toBe(404);
      expect(await publishedEvents(t, 'ticket.updated')).toEqual(updatesBefore);
    });

    it.each([
      ['abc', 'abc'],
      ['1', '1'],
      ['a 500-character string', 'a'.repeat(500)],
      ['%00', '%00'],
      ["SQL-ish ' or 1=1--", encodeURIComponent("' or 1=1--")],
      ['a UUID with a trailing character', `${randomUUID()}x`],
    ])('when the id is %s, then 404 in the error shape, never 500', async (_, id) => {
      const owner = await aUser();
      const updatesBefore = await publishedEvents(t, 'ticket.updated');

      const res = await t.http.put(`/api/tickets/${id}`).set('Cookie', owner.cookie).send({ title: 'Odd', price: 1 });

      expectErrors(res, 404, [undefined]);
      expect(await publishedEvents(t, 'ticket.updated')).toEqual(updatesBefore);
    });

    it.each([
      ['an empty title', { title: '', price: 10 }, ['title']],
      ['a whitespace-only title', { title: '   ', price: 10 }, ['title']],
      ['a title of 201 characters', { title: 'a'.repeat(201), price: 10 }, ['title']],
      ['no title', { price: 10 }, ['title']],
      ['no price', { title: 'Only title' }, ['price']],
      ['a price of 0', { title: 'Free', price: 0 }, ['price']],
      ['a price of 0.49', { title: 'Below the minimum charge', price: 0.49 }, ['price']],
      ['a negative price', { title: 'Negative', price: -1 }, ['price']],
      ['a price of 1000000.01', { title: 'Too dear', price: 1_000_000.01 }, ['price']],
      ['a price of 12.345', { title: 'Three decimals', price: 12.345 }, ['price']],
      ['the price "10" as a string', { title: 'Stringly', price: '10' }, ['price']],
      ['a null price', { title: 'Null', price: null }, ['price']],
      ['an empty object', {}, ['title', 'price']],
    ])('when the owner sends %s, then 400 naming the field and the ticket is unchanged', async (_, body, fields) => {
      const owner = await aUser();
      const created = await createTicket(t, owner);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send(body);

      expectErrors(res, 400, fields);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when the owner lowers the price below 0.50 (the minimum charge), then 400 "Price must be at least 0.50" on price and the ticket is unchanged', async () => {
      const owner = await aUser();
      const created = await createTicket(t, owner);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: created.title, price: 0.49 });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ message: 'Price must be at least 0.50', field: 'price' }] });
      expect(await stateOf(created)).toEqual(before);
    });

    it.each([
      ['an array', 'application/json', JSON.stringify([{ title: 'In array', price: 10 }])],
      ['malformed JSON', 'application/json', '{"title":"Broken",'],
    ])('when the owner sends %s, then 400 without a field and the ticket is unchanged', async (_, type, raw) => {
      const owner = await aUser();
      const created = await createTicket(t, owner);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 400, [undefined]);
      expect(await stateOf(created)).toEqual(before);
    });

    it.each([
      ['a plain-text body', 'text/plain', 'title=x'],
    ])('when the owner sends %s, then 415 without a field and the ticket is unchanged', async (_, type, raw) => {
      const owner = await aUser();
      const created = await createTicket(t, owner);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 415, [undefined]);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when the owner sends a body over 100 kB, then 413 and the ticket is unchanged', async () => {
      const owner = await aUser();
      const created = await createTicket(t, owner);
      const before = await stateOf(created);

      const res = await t.http
        .put(`/api/tickets/${created.id}`)
        .set('Cookie', owner.cookie)
        .send({ title: 'Big', price: 10, padding: 'x'.repeat(101 * 1024) });

      expectErrors(res, 413, [undefined]);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when the ticket is reserved, then 400 and the ticket keeps its title, price, version and order', async () => {
      const owner = await aUser();
      const created = await createTicket(t, owner, { title: 'Held', price: 40 });
      const orderId = await reserve(t, created);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: 'Changed', price: 1 });

      expectErrors(res, 400, [undefined]);
      expect(before.ticket).toEqual({ ...created, orderId, version: 1, status: 'reserved' });
      expect(before.listed).toEqual([]);
      expect(before.updates).toEqual([{ ...created, orderId, version: 1, status: 'reserved' }]);
      expect(await stateOf(created)).toEqual(before);
    });

    it('when the ticket is sold, then 400 saying so and the ticket keeps its title, price, version and order', async () => {
      const owner = await aUser();
      const created = await createTicket(t, owner, { title: 'Gone', price: 40 });
      const orderId = await reserve(t, created);
      await complete(t, created, orderId);
      const before = await stateOf(created);

      const res = await t.http.put(`/api/tickets/${created.id}`).set('Cookie', owner.cookie).send({ title: 'Changed', price: 1 });

      expectErrors(res, 400, [undefined]);
      expect(res.body.errors[0].message).toBe('Cannot edit a sold ticket');
      expect(before.ticket).toEqual({ ...created, orderId, version: 2, status: 'sold' });
      expect(before.listed).toEqual([]);
      expect(await stateOf(created)).toEqual(before);
    });
  });
});
