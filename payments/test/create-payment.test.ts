import { isUniqueViolation } from '@ticketing/common';
import { eventually, readStream } from '@ticketing/testkit';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONE_PAYMENT_PER_ORDER, payments } from '../src/db/schema.js';
import { listeners } from '../src/events/listeners.js';
import {
  anOrder,
  attemptsOf,
  cancel,
  complete,
  expectError,
  expectErrors,
  pay,
  paymentsOf,
  paymentState,
  publishedPayments,
  replicate,
  type User,
} from './helpers.js';
import { aUser, startPayments } from './setup.js';

let t: Awaited<ReturnType<typeof startPayments>>;
beforeAll(async () => {
  t = await startPayments();
  await t.listen(listeners);
});
afterAll(() => t.close());

/** An order of `buyer`, known to the payments service. */
async function orderOf(buyer: User, overrides: Parameters<typeof anOrder>[0] = {}) {
  return replicate(t, anOrder({ userId: buyer.id, ...overrides }));
}

describe('POST /api/payments', () => {
  describe('successful payments', () => {
    it('when the buyer pays their order with tok_visa, then 201 {id, orderId}, one payment row and payment.created', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { ticket: { id: randomUUID(), price: 20.5 } });

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), orderId: order.id });
      const rows = await paymentsOf(t, order.id);
      expect(rows).toEqual([
        {
          id: res.body.id,
          orderId: order.id,
          chargeId: expect.stringMatching(/^ch_sandbox_[0-9a-f]+$/),
          amountCents: 2050,
          provider: 'sandbox',
          createdAt: expect.any(Date),
          refundedAt: null,
        },
      ]);
      const events = await eventually(async () => {
        const e = (await readStream(t.bus, 'payment.created')).filter((x) => (x.payload as { orderId: string }).orderId === order.id);
        return e.length > 0 && e;
      });
      expect(events.map((e) => e.payload)).toEqual([{ id: res.body.id, orderId: order.id, chargeId: rows[0]!.chargeId }]);
      expect(events[0]!.headers['Nats-Msg-Id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('when the buyer pays with tok_mastercard, then 201 as well', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_mastercard' });

      expect(res.status).toBe(201);
      expect(await paymentsOf(t, order.id)).toHaveLength(1);
    });

    it.each([
      [0.5, 50],
      [0.51, 51],
      [1.1, 110],
      [4.35, 435],
      [19.99, 1999],
      [999_999.99, 99_999_999],
      [1_000_000, 100_000_000],
    ])('when the order costs %s dollars, then exactly %s cents are charged and stored', async (price, cents) => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { ticket: { id: randomUUID(), price } });

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expect(res.status).toBe(201);
      expect((await paymentsOf(t, order.id))[0]!.amountCents).toBe(cents);
    });

    it('when the order is awaiting payment, then it can be paid', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { status: 'awaiting:payment' });

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expect(res.status).toBe(201);
    });

    it('when the order id is written in upper case, then 201 for the same order', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);

      const res = await pay(t, buyer, { orderId: order.id.toUpperCase(), token: 'tok_visa' });

      expect(res.status).toBe(201);
      expect(res.body.orderId).toBe(order.id);
      expect(await paymentsOf(t, order.id)).toHaveLength(1);
    });

    it('when the body carries an amount, a chargeId or a userId, then they are ignored: the replica price is charged', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { ticket: { id: randomUUID(), price: 80 } });

      const res = await pay(t, buyer, {
        orderId: order.id,
        token: 'tok_visa',
        amount: 1,
        price: 0.01,
        chargeId: 'ch_forged',
        userId: randomUUID(),
        id: randomUUID(),
      });

      expect(res.status).toBe(201);
      const [row] = await paymentsOf(t, order.id);
      expect(row).toMatchObject({ id: res.body.id, amountCents: 8000 });
      expect(row!.chargeId).not.toBe('ch_forged');
    });

    it('when a card was declined, then the buyer can pay the same order with another card', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);

      const declined = await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclined' });
      const paid = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expect(declined.status).toBe(400);
      expect(paid.status).toBe(201);
    });

    it('when the token has surrounding whitespace, then it is trimmed and the payment succeeds', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);

      const res = await pay(t, buyer, { orderId: order.id, token: '  tok_visa\n' });

      expect(res.status).toBe(201);
    });
  });

  describe('double payments', () => {
    it('when the order has been paid, then paying again answers 400 "Order has already been paid" and nothing changes', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expectError(res, 400, 'Order has already been paid');
      expect(await paymentState(t)).toEqual(before);
    });

    it('when the order is complete (order.completed arrived), then 400 "Order has already been paid" and nothing changes', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      await complete(t, order);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expectError(res, 400, 'Order has already been paid');
      expect(await paymentState(t)).toEqual(before);
    });

    it('when 10 payments for one order arrive at once, then exactly one 201, nine 400 already paid, one row and one event', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);

      const results = await Promise.all(
        Array.from({ length: 10 }, () => pay(t, buyer, { orderId: order.id, token: 'tok_visa' })),
      );

      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
      for (const r of results.filter((x) => x.status === 400)) expectError(r, 400, 'Order has already been paid');
      const winner = results.find((r) => r.status === 201)!;
      const rows = await paymentsOf(t, order.id);
      expect(rows.map((r) => r.id)).toEqual([winner.body.id]);
      const events = (await publishedPayments(t)).filter((e) => e.orderId === order.id);
      expect(events).toEqual([{ id: winner.body.id, orderId: order.id, chargeId: rows[0]!.chargeId }]);
    });

    it('when a second payment row for a paid order is written straight to the database, then the database refuses it', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);

      const second = t.service.database.db
        .insert(payments)
        .values({ id: randomUUID(), orderId: order.id, chargeId: 'ch_other', amountCents: 2000, provider: 'sandbox' });

      const err = await second.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUniqueViolation(err, ONE_PAYMENT_PER_ORDER)).toBe(true);
      expect(await paymentsOf(t, order.id)).toHaveLength(1);
    });

    it('when 10 payments for 10 different orders arrive at once, then all ten succeed', async () => {
      const buyer = await aUser();
      const orders = await Promise.all(Array.from({ length: 10 }, () => orderOf(buyer)));

      const results = await Promise.all(orders.map((o) => pay(t, buyer, { orderId: o.id, token: 'tok_visa' })));

      expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
      const events = (await publishedPayments(t)).filter((e) => orders.some((o) => o.id === e.orderId));
      expect(events).toHaveLength(10);
    });
  });

  describe('refused payments change nothing', () => {
    it('when there is no session cookie, then 401 and nothing is charged', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      const before = await paymentState(t);

      const res = await t.http.post('/api/payments').send({ orderId: order.id, token: 'tok_visa' });

      expectErrors(res, 401, [undefined]);
      expect(await paymentState(t)).toEqual(before);
    });

    it('when the session cookie is not a valid session, then 401 and nothing is charged', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      const before = await paymentState(t);

      const res = await t.http
        .post('/api/payments')
        .set('Cookie', `${buyer.cookie}x`)
        .send({ orderId: order.id, token: 'tok_visa' });

      expectErrors(res, 401, [undefined]);
      expect(await paymentState(t)).toEqual(before);
    });

    it('when there is no session and the body is invalid, then 401 (authentication comes first)', async () => {
      const res = await t.http.post('/api/payments').send({ orderId: 'nope' });

      expectErrors(res, 401, [undefined]);
    });

    it('when the order is unknown, then 404 "Order not found" and nothing is charged', async () => {
      const buyer = await aUser();
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: randomUUID(), token: 'tok_visa' });

      expectError(res, 404, 'Order not found');
      expect(await paymentState(t)).toEqual(before);
    });

    it("when the order is another user's, then the same 404 as an unknown order (nothing leaks) and nothing is charged", async () => {
      const owner = await aUser();
      const intruder = await aUser();
      const order = await orderOf(owner, { ticket: { id: randomUUID(), price: 42.42 } });
      const before = await paymentState(t);

      const res = await pay(t, intruder, { orderId: order.id, token: 'tok_visa' });
      const unknown = await pay(t, intruder, { orderId: randomUUID(), token: 'tok_visa' });

      expectError(res, 404, 'Order not found');
      expect(res.body).toEqual(unknown.body);
      expect(res.text).not.toContain(owner.id);
      expect(res.text).not.toContain('42.42');
      expect(await paymentState(t)).toEqual(before);
    });

    it("when another user's order is cancelled or paid, then still 404 for them (not its state)", async () => {
      const owner = await aUser();
      const intruder = await aUser();
      const cancelled = await orderOf(owner);
      await cancel(t, cancelled);
      const paid = await orderOf(owner);
      expect((await pay(t, owner, { orderId: paid.id, token: 'tok_visa' })).status).toBe(201);

      expectError(await pay(t, intruder, { orderId: cancelled.id, token: 'tok_visa' }), 404, 'Order not found');
      expectError(await pay(t, intruder, { orderId: paid.id, token: 'tok_visa' }), 404, 'Order not found');
    });

    it('when the order is cancelled, then 400 "Cannot pay for a cancelled order" and nothing is charged', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      await cancel(t, order);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expectError(res, 400, 'Cannot pay for a cancelled order');
      expect(await paymentState(t)).toEqual(before);
    });

    it.each([0.01, 0.3, 0.49])(
      'when the order costs %s dollars, under Stripe\'s minimum charge, then 400 "Amount is below the minimum charge of $0.50" and nothing is charged',
      async (price) => {
        const buyer = await aUser();
        const order = await orderOf(buyer, { ticket: { id: randomUUID(), price } });
        const before = await paymentState(t);

        const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

        expectError(res, 400, 'Amount is below the minimum charge of $0.50');
        expect(await paymentState(t)).toEqual(before);
        expect(await attemptsOf(t, order.id)).toEqual([]);
      },
    );

    it('when the order has expired but order.cancelled has not arrived, then 400 "Order has expired" and nothing is charged', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expectError(res, 400, 'Order has expired');
      expect(await paymentState(t)).toEqual(before);
    });

    it('when the deadline passes after the order was replicated, then the payment is refused as expired', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { expiresAt: new Date(Date.now() + 300).toISOString() });
      await new Promise((r) => setTimeout(r, 400));

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa' });

      expectError(res, 400, 'Order has expired');
      expect(await paymentsOf(t, order.id)).toEqual([]);
    });

    it('when the card is declined (tok_chargeDeclined), then 400 "Your card was declined" on token and nothing is recorded', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_chargeDeclined' });

      expectError(res, 400, 'Your card was declined', 'token');
      expect(await paymentState(t)).toEqual(before);
    });

    it.each([
      ['an unknown token', 'tok_unknown'],
      ['a token in the wrong case', 'TOK_VISA'],
      ['a Stripe token the sandbox does not know', 'tok_amex'],
      ['a card number instead of a token', '4242424242424242'],
      ['a token of exactly 255 characters', `tok_${'x'.repeat(251)}`],
    ])('when the token is %s, then 400 "Invalid payment token" on token and nothing is recorded', async (_, token) => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token });

      expectError(res, 400, 'Invalid payment token', 'token');
      expect(await paymentState(t)).toEqual(before);
    });

    it.each([
      ['no orderId', { token: 'tok_visa' }, ['orderId']],
      ['a null orderId', { orderId: null, token: 'tok_visa' }, ['orderId']],
      ['a numeric orderId', { orderId: 42, token: 'tok_visa' }, ['orderId']],
      ['an empty orderId', { orderId: '', token: 'tok_visa' }, ['orderId']],
      ['an orderId that is not a UUID', { orderId: 'abc', token: 'tok_visa' }, ['orderId']],
      ['a UUID with a trailing character', { orderId: `${randomUUID()}x`, token: 'tok_visa' }, ['orderId']],
      ['a UUID without its dashes', { orderId: randomUUID().replaceAll('-', ''), token: 'tok_visa' }, ['orderId']],
      ['an orderId in an array', { orderId: [randomUUID()], token: 'tok_visa' }, ['orderId']],
      ['an orderId object', { orderId: { $ne: null }, token: 'tok_visa' }, ['orderId']],
      ["SQL in the orderId", { orderId: "' or 1=1--", token: 'tok_visa' }, ['orderId']],
      ['no token', { orderId: randomUUID() }, ['token']],
      ['a null token', { orderId: randomUUID(), token: null }, ['token']],
      ['a numeric token', { orderId: randomUUID(), token: 4242 }, ['token']],
      ['a boolean token', { orderId: randomUUID(), token: true }, ['token']],
      ['an object token', { orderId: randomUUID(), token: { id: 'tok_visa' } }, ['token']],
      ['an array token', { orderId: randomUUID(), token: ['tok_visa'] }, ['token']],
      ['an empty token', { orderId: randomUUID(), token: '' }, ['token']],
      ['a whitespace-only token', { orderId: randomUUID(), token: ' \t\n' }, ['token']],
      ['a token of 256 characters', { orderId: randomUUID(), token: `tok_${'x'.repeat(252)}` }, ['token']],
      ['a token with a NUL character', { orderId: randomUUID(), token: 'tok_\u0000visa' }, ['token']],
      ['an empty object', {}, ['orderId', 'token']],
      ['a bad orderId and no token', { orderId: 'abc' }, ['orderId', 'token']],
    ])('when the body has %s, then 400 naming the field and nothing is charged', async (_, body, fields) => {
      const buyer = await aUser();
      const before = await paymentState(t);

      const res = await pay(t, buyer, body);

      expectErrors(res, 400, fields);
      expect(await paymentState(t)).toEqual(before);
    });

    it("when a valid body names the buyer's order but the token is too long, then 400 on token before any charge", async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa'.padEnd(256, ' x') });

      expectErrors(res, 400, ['token']);
      expect(await paymentState(t)).toEqual(before);
    });

    it.each([
      ['malformed JSON', 'application/json', '{"orderId": "x", "token": "tok_visa"'],
      ['a JSON null', 'application/json', 'null'],
      ['a JSON string', 'application/json', '"tok_visa"'],
      ['a JSON number', 'application/json', '42'],
      ['a JSON array', 'application/json', JSON.stringify([{ orderId: randomUUID(), token: 'tok_visa' }])],
    ])('when the body is %s, then 400 without a field and nothing is charged', async (_, type, raw) => {
      const buyer = await aUser();
      const before = await paymentState(t);

      const res = await t.http.post('/api/payments').set('Cookie', buyer.cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 400, [undefined]);
      expect(await paymentState(t)).toEqual(before);
    });

    it.each([
      ['a form-encoded body', 'application/x-www-form-urlencoded', 'orderId=x&token=tok_visa'],
      ['a plain-text body', 'text/plain', '{"orderId":"x","token":"tok_visa"}'],
    ])('when the body is %s, then 415 without a field and nothing is charged', async (_, type, raw) => {
      const buyer = await aUser();
      const before = await paymentState(t);

      const res = await t.http.post('/api/payments').set('Cookie', buyer.cookie).set('Content-Type', type).send(raw);

      expectErrors(res, 415, [undefined]);
      expect(await paymentState(t)).toEqual(before);
    });

    it('when there is no body at all, then 400 without a field', async () => {
      const buyer = await aUser();

      const res = await t.http.post('/api/payments').set('Cookie', buyer.cookie);

      expectErrors(res, 400, [undefined]);
    });

    it('when the body is over 100 kB, then 413 and nothing is charged', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer);
      const before = await paymentState(t);

      const res = await pay(t, buyer, { orderId: order.id, token: 'tok_visa', padding: 'x'.repeat(101 * 1024) });

      expectErrors(res, 413, [undefined]);
      expect(await paymentState(t)).toEqual(before);
    });

    it('when a cancelled order is also past its deadline, then "cancelled" is the reason given', async () => {
      const buyer = await aUser();
      const order = await orderOf(buyer, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      await cancel(t, order);

      expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_visa' }), 400, 'Cannot pay for a cancelled order');
    });

    it('when a paid order is later past its deadline, then "already paid" is the reason given', async () => {
      const buyer = await aUser();
      const expiresAt = Date.now() + 2000;
      const order = await orderOf(buyer, { expiresAt: new Date(expiresAt).toISOString() });
      expect((await pay(t, buyer, { orderId: order.id, token: 'tok_visa' })).status).toBe(201);
      await new Promise((r) => setTimeout(r, expiresAt + 100 - Date.now()));

      expectError(await pay(t, buyer, { orderId: order.id, token: 'tok_visa' }), 400, 'Order has already been paid');
    });
  });
});
