import { readStream, eventually } from '@ticketing/common/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aUser, startTickets } from './setup.js';

let t: Awaited<ReturnType<typeof startTickets>>;
beforeAll(async () => {
  t = await startTickets();
});
afterAll(() => t.close());

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
});
