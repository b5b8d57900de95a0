import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxIntents } from '../src/db/schema.js';
import { listeners } from '../src/events/listeners.js';
import { chooseProvider } from '../src/providers/choose-provider.js';
import { reconcileIntents } from '../src/reconcile-intents.js';
import { refundDueCharges } from '../src/refunds.js';
import {
  anOrder,
  attemptsOf,
  cancel,
  expectError,
  expectErrors,
  paymentsOf,
  paymentState,
  publishedPayments,
  replicate,
  startIntent,
  type Payments,
  type User,
} from './helpers.js';
import { aUser, startPayments } from './setup.js';

/**
 * The sandbox's payment intents, offline, through the real routes: the buyer's browser confirms
 * with Stripe's test payment methods and passes (or fails, or walks away from) the sandbox
 * bank's 3-D Secure challenge.
 */
let t: Payments;
beforeAll(async () => {
  t = await startPayments();
  await t.listen(listeners);
});
afterAll(() => t?.close());

const provider = () => chooseProvider(t.service.config, t.service.logger, t.service.database.db);

function confirm(user: User, body: unknown) {
  return t.http.post('/api/payments/sandbox/confirm').set('Cookie', user.cookie).send(body as object);
}
function authenticate(user: User, body: unknown) {
  return t.http.post('/api/payments/sandbox/authenticate').set('Cookie', user.cookie).send(body as object);
}
async function sandboxIntentOf(clientSecret: string) {
  const [row] = await t.service.database.db.select().from(sandboxIntents).where(eq(sandboxIntents.clientSecret, clientSecret));
  return row!;
}

/** A buyer's order with its intent started; the client secret the browser would hold. */
async function started(price = 20.5) {
  const buyer = await aUser();
  const order = await replicate(t, anOrder({ userId: buyer.id, ticket: { id: randomUUID(), price } }));
  const res = await startIntent(t, buyer, { orderId: order.id });
  expect(res.status).toBe(201);
  return { buyer, order, clientSecret: res.body.clientSecret as string };
}

describe('sandbox payment intents', () => {
  it('when a buyer starts paying, then 201 gives a sandbox intent\'s client secret, kept in the database', async () => {
    const { order, clientSecret } = await started(12.5);

    expect(clientSecret).toMatch(/^pi_sandbox_[0-9a-f]{24}_secret_[0-9a-f]{24}$/);
    const stored = await sandboxIntentOf(clientSecret);
    expect(stored).toMatchObject({ amountCents: 1250, currency: 'usd', orderId: order.id, status: 'requires_payment_method', refunded: false });
    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ kind: 'intent', intentId: stored.id, provider: 'sandbox' });
  });

  it('when the buyer confirms with pm_card_visa, then the intent succeeds and is the order\'s payment, with payment.created once', async () => {
    const { buyer, order, clientSecret } = await started();

    const res = await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_visa' });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'succeeded', lastError: null });
    const intentId = (await sandboxIntentOf(clientSecret)).id;
    expect(await paymentsOf(t, order.id)).toEqual([expect.objectContaining({ chargeId: intentId, amountCents: 2050, provider: 'sandbox' })]);
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([{ id: expect.any(String), orderId: order.id, chargeId: intentId }]);
  });

  it('when the buyer confirms again after success, then 400 and nothing changes', async () => {
    const { buyer, clientSecret } = await started();
    expect((await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_visa' })).status).toBe(200);
    const before = await paymentState(t);

    expectError(await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_mastercard' }), 400, 'Order has already been paid');
    expect(await paymentState(t)).toEqual(before);
  });

  it('when the intent succeeded but its payment was never recorded (the process died), then confirming again records it at once, and still answers 400', async () => {
    const { buyer, order, clientSecret } = await started();
    // The sandbox's step done, its outcome not applied: as if the process died in between.
    await t.service.database.db.update(sandboxIntents).set({ status: 'succeeded' }).where(eq(sandboxIntents.clientSecret, clientSecret));

    expectError(await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_visa' }), 400, 'This payment cannot take that step: it is succeeded');

    expect(await paymentsOf(t, order.id)).toEqual([expect.objectContaining({ chargeId: (await sandboxIntentOf(clientSecret)).id })]);
  });

  it('when the card is declined, then 200 says so (requires_payment_method, lastError) and another card then pays', async () => {
    const { buyer, order, clientSecret } = await started();

    const declined = await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_chargeDeclined' });
    expect(declined.body).toEqual({ status: 'requires_payment_method', lastError: 'Your card was declined.' });
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect((await startIntent(t, buyer, { orderId: order.id })).body).toMatchObject({ status: 'requires_payment_method', lastError: 'Your card was declined.' });

    expect((await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_mastercard' })).body).toEqual({ status: 'succeeded', lastError: null });
    expect(await paymentsOf(t, order.id)).toHaveLength(1);
  });

  it('when the card requires 3-D Secure, then the intent waits for the challenge, and completing it pays the order', async () => {
    const { buyer, order, clientSecret } = await started();

    expect((await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_authenticationRequired' })).body).toEqual({ status: 'requires_action', lastError: null });
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ state: 'pending', intentStatus: 'requires_action' });

    expect((await authenticate(buyer, { clientSecret, outcome: 'complete' })).body).toEqual({ status: 'succeeded', lastError: null });
    expect(await paymentsOf(t, order.id)).toHaveLength(1);
  });

  it('when the challenge fails, then the buyer is told and may pay with another card', async () => {
    const { buyer, order, clientSecret } = await started();
    await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_authenticationRequired' });

    const failed = await authenticate(buyer, { clientSecret, outcome: 'fail' });

    expect(failed.body).toEqual({ status: 'requires_payment_method', lastError: expect.stringMatching(/^We are unable to authenticate your payment method/) });
    expectError(await authenticate(buyer, { clientSecret, outcome: 'complete' }), 400, 'This payment cannot take that step: it is requires payment method');
    expect((await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_visa' })).body.status).toBe('succeeded');
    expect(await paymentsOf(t, order.id)).toHaveLength(1);
  });

  it('when the buyer walks away from the challenge and the order is cancelled, then the intent is cancelled, nothing is taken, and the challenge can no longer be passed', async () => {
    const { buyer, order, clientSecret } = await started();
    await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_authenticationRequired' });
    await cancel(t, order);

    await reconcileIntents(t.service, provider(), { reconcileAfterMs: 60_000, batchSize: 50, backoff: { baseMs: 10, maxMs: 10 } });

    expect((await sandboxIntentOf(clientSecret)).status).toBe('canceled');
    expect((await attemptsOf(t, order.id))[0]).toMatchObject({ state: 'failed', intentStatus: 'canceled' });
    expectError(await authenticate(buyer, { clientSecret, outcome: 'complete' }), 400, 'Cannot pay for a cancelled order');
    expect(await paymentsOf(t, order.id)).toEqual([]);
  });

  it('when a paid order is cancelled anyway (the payment raced its expiry), then the sweeper refunds the sandbox intent', async () => {
    const { buyer, order, clientSecret } = await started();
    await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_visa' });
    await cancel(t, order);

    await refundDueCharges(t.service, provider());

    expect((await sandboxIntentOf(clientSecret)).refunded).toBe(true);
    expect((await paymentsOf(t, order.id))[0]!.refundedAt).toBeInstanceOf(Date);
  });

  it('when another user uses the client secret, or it names no intent, then 404 "Payment not found" and nothing changes', async () => {
    const { clientSecret } = await started();
    const intruder = await aUser();

    expectError(await confirm(intruder, { clientSecret, paymentMethod: 'pm_card_visa' }), 404, 'Payment not found');
    expectError(await confirm(intruder, { clientSecret: 'pi_sandbox_nothing_secret_x', paymentMethod: 'pm_card_visa' }), 404, 'Payment not found');
    expect((await sandboxIntentOf(clientSecret)).status).toBe('requires_payment_method');
    expect((await t.http.post('/api/payments/sandbox/confirm').send({ clientSecret, paymentMethod: 'pm_card_visa' })).status).toBe(401);
  });

  it('when the input is bad, then 400 names each field and nothing changes', async () => {
    const { buyer, clientSecret } = await started();

    expectErrors(await confirm(buyer, {}), 400, ['clientSecret', 'paymentMethod']);
    expectErrors(await confirm(buyer, { clientSecret, paymentMethod: 'tok_visa' }), 400, ['paymentMethod']);
    expectErrors(await authenticate(buyer, { clientSecret, outcome: 'maybe' }), 400, ['outcome']);
    expectError(await authenticate(buyer, { clientSecret, outcome: 'complete' }), 400, 'This payment cannot take that step: it is requires payment method');
    expect((await sandboxIntentOf(clientSecret)).status).toBe('requires_payment_method');
  });

  it('when the order has expired before the buyer confirms, then 400 "Order has expired" and nothing is taken', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id, expiresAt: new Date(Date.now() + 400).toISOString() }));
    const { clientSecret } = (await startIntent(t, buyer, { orderId: order.id })).body as { clientSecret: string };
    await new Promise((r) => setTimeout(r, 500));

    expectError(await confirm(buyer, { clientSecret, paymentMethod: 'pm_card_visa' }), 400, 'Order has expired');
    expect((await sandboxIntentOf(clientSecret)).status).toBe('requires_payment_method');
  });
});
