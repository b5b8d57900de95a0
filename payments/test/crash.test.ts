import { freePort } from '@ticketing/devkit/free-port';
import { startService, type ManagedProcess } from '@ticketing/devkit/system/process';
import { repoRoot } from '@ticketing/devkit/system/services';
import { eventually, gate, startStripeStandIn, testKeys, type StripeStandIn } from '@ticketing/testkit';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listeners } from '../src/events/listeners.js';
import { anOrder, attemptsOf, cancel, paymentsOf, publishedPayments, replicate, type Payments } from './helpers.js';
import { aUser, startPayments } from './setup.js';

/**
 * The payments service as production runs it (its own process, Stripe through the SDK),
 * killed after Stripe took the charge and before its answer arrived: nothing in the process
 * recorded the charge, only the attempt it committed before asking. The restarted service
 * must settle that attempt with Stripe. `t` (in this process) shares its database and stream,
 * to replicate orders and read what the service wrote.
 */
let t: Payments;
let stripe: StripeStandIn;
let running: ManagedProcess | undefined;
let port: number;
const logDir = join(repoRoot, '.test-results', 'payments-crash');

beforeAll(async () => {
  stripe = await startStripeStandIn();
  t = await startPayments();
  await t.listen(listeners);
  port = await freePort();
});
afterEach(async () => {
  await running?.stop({ graceMs: 5000 });
  running = undefined;
});
afterAll(async () => {
  await t?.close();
  await stripe?.close();
});

async function startPaymentsProcess() {
  running = startService('payments', {
    wiring: { port, databaseUrl: t.database.url, natsUrl: t.bus.env.NATS_URL, keys: testKeys },
    env: {
      NATS_STREAM: t.bus.env.NATS_STREAM,
      NATS_SUBJECT_PREFIX: t.bus.env.NATS_SUBJECT_PREFIX,
      STRIPE_SECRET_KEY: 'sk_test_standin',
      STRIPE_API_URL: stripe.url,
      STRIPE_MAX_NETWORK_RETRIES: '0',
      PAYMENT_ATTEMPT_RESOLVE_AFTER_SECONDS: '1',
      LOG_LEVEL: 'info',
    },
    output: { logFile: join(logDir, `${t.bus.env.NATS_STREAM.toLowerCase()}.log`) },
  });
  await running.waitReady();
  return running;
}

/**
 * Pays through the running process; Stripe records the charge and holds its answer while the
 * process is killed. Returns the charge Stripe holds.
 */
async function payAndCrash(cookie: string, orderId: string) {
  const process = await startPaymentsProcess();
  const held = gate();
  stripe.respondWith(async (req) => {
    const reply = stripe.fake.respond(req); // in the ledger now: the money is taken
    if (req.path === '/v1/charges') await held.opened;
    return reply;
  });
  const paying = fetch(`http://127.0.0.1:${port}/api/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie },
    body: JSON.stringify({ orderId, token: 'tok_visa' }),
  }).catch((err: unknown) => err);
  const charge = await eventually(() => stripe.fake.charges().find((c) => c.description === `Ticketing order ${orderId}`), {
    what: 'Stripe to take the charge',
  });
  await process.kill();
  held.open();
  expect(await paying).toBeInstanceOf(Error); // the buyer never got an answer
  stripe.respondWith(stripe.fake.respond);
  return charge;
}

// Two service starts per test (tsx compiles on each): more than the default 30 s on a busy machine.
describe('payments killed between the charge and its record', { timeout: 90_000 }, () => {
  it('when it restarts, then the charge Stripe took becomes the order payment and payment.created is published', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));

    const charge = await payAndCrash(buyer.cookie, order.id);
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'pending', chargeId: null })]);

    await startPaymentsProcess();

    const [payment] = await eventually(async () => {
      const rows = await paymentsOf(t, order.id);
      return rows.length > 0 && rows;
    }, { what: 'the charge recorded as the payment' });
    expect(payment).toMatchObject({ chargeId: charge.id, amountCents: 2000, provider: 'stripe', refundedAt: null });
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([{ id: payment!.id, orderId: order.id, chargeId: charge.id }]);
    expect(await attemptsOf(t, order.id)).toEqual([expect.objectContaining({ state: 'recorded', chargeId: charge.id })]);
    expect(stripe.fake.charges().find((c) => c.id === charge.id)!.refunded).toBe(false);
  });

  it('when the order was cancelled while it was down, then after restart the charge is refunded and no payment recorded', async () => {
    const buyer = await aUser();
    const order = await replicate(t, anOrder({ userId: buyer.id }));

    const charge = await payAndCrash(buyer.cookie, order.id);
    await cancel(t, order);
    await startPaymentsProcess();

    await eventually(() => stripe.fake.charges().find((c) => c.id === charge.id)!.refunded, { what: 'the charge refunded' });
    await eventually(async () => (await attemptsOf(t, order.id))[0]!.state === 'refunded', { what: 'the attempt marked refunded' });
    expect(await paymentsOf(t, order.id)).toEqual([]);
    expect((await publishedPayments(t)).filter((e) => e.orderId === order.id)).toEqual([]);
  });
});
