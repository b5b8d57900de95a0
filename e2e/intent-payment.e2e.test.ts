/**
 * Paying for an order through its PaymentIntent, as a buyer does it in the browser: `npm start`
 * with the sandbox provider (no Stripe key) and Debian's Chromium. The sandbox form starts the
 * order's intent and confirms it with a test payment method; one that asks for 3-D Secure sends
 * the buyer to the sandbox bank's challenge page. A short reservation window lets a challenge
 * left unanswered run out.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { at } from '@ticketing/testkit/api-user';
import { eventually } from '@ticketing/testkit';
import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { newVisitor, screenshot, useAppInBrowser, type AppInBrowser } from './browser.js';
import { ApiUser } from './client.js';
import { sellTicket } from './flows.js';

// A browser, a production client and five services share two cores: give each step room.
vi.setConfig({ testTimeout: 120_000 });

/** Long enough to pay in, short enough to watch an unanswered challenge expire. */
const WINDOW_SECONDS = 20;
const run = randomBytes(4).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'ticketing-intents-'));
chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when the tests run as root
const env = {
  NATS_STREAM: `E2E_INTENTS_${run}`,
  NATS_SUBJECT_PREFIX: `intents${run}.`,
  EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS),
  LOG_LEVEL: 'warn',
};

const PAID = 'Paid — your ticket is confirmed';

/** What the page asked the payments service and what it answered, to tell a server fault from a page fault. */
function paymentsTraffic(page: Page): string[] {
  const seen: string[] = [];
  page.on('response', (res) => {
    const { pathname } = new URL(res.url());
    if (!pathname.startsWith('/api/payments')) return;
    void res.text().then(
      (body) => seen.push(`${res.request().method()} ${pathname} ${res.request().postData() ?? ''} -> ${res.status()} ${body}`),
      () => seen.push(`${res.request().method()} ${pathname} -> ${res.status()} (no body)`),
    );
  });
  return seen;
}

/** Runs `step`; if it fails, the error carries the payments traffic so far and a screenshot is kept. */
async function step<T>(page: Page, traffic: string[], name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    await screenshot(page, `intent-${name}-failed`).catch(() => {});
    throw new Error(`${name}: ${String(err)}\npayments traffic:\n${traffic.join('\n') || '(none)'}`);
  }
}

/** A ticket on sale by a seller made through the API. */
async function aTicket(app: AppInBrowser, title: string, price: number) {
  const seller = await ApiUser.signUp(at(app.launcher.url));
  return sellTicket(seller, title, price);
}

/** A buyer signed up in the browser, on the order page of `ticketId` once orders knows the ticket. */
async function aBuyerOrdering(app: AppInBrowser, ticketId: string, { width, before }: { width?: number; before?: (page: Page) => Promise<unknown> } = {}) {
  const page = await newVisitor(app.browser, app.launcher.url, width);
  await before?.(page);
  const traffic = paymentsTraffic(page);
  await page.goto('/auth/signup');
  await page.getByLabel('Email').fill(`buyer-${randomBytes(4).toString('hex')}-${run}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('/');
  await eventually(
    async () => {
      await page.goto(`/tickets/${ticketId}`);
      await page.getByRole('button', { name: 'Purchase' }).click();
      return page.waitForURL(/\/orders\/[0-9a-f-]{36}$/, { timeout: 3000 }).then(
        () => true,
        () => false,
      );
    },
    { what: 'the order page', timeoutMs: 30_000 },
  );
  const orderId = new URL(page.url()).pathname.split('/').pop()!;
  return { page, traffic, orderId };
}

/** The paths the page itself GETs from now on (its EventSource included; not the test's page.request). */
function pageGets(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'GET') paths.push(new URL(req.url()).pathname);
  });
  return paths;
}

/** Picks a test payment method and presses Pay. */
async function payWith(page: Page, method: RegExp) {
  await page.getByRole('radio', { name: method }).check();
  await page.getByRole('button', { name: /^Pay \$/ }).click();
}

/** The order and the ticket as the API tells them to the buyer's browser session. */
const orderOf = async (page: Page, orderId: string) => (await page.request.get(`/api/orders/${orderId}`)).json() as Promise<{ status: string; version: number }>;
const ticketOf = async (page: Page, ticketId: string) => (await page.request.get(`/api/tickets/${ticketId}`)).json() as Promise<{ orderId: string | null }>;

describe('paying through a payment intent in the browser', () => {
  const app = useAppInBrowser({ dataDir, env, name: `intent-payment-${run}` });

  it('when the buyer pays with the Visa test method, then the order page shows it paid, pushed by the server (no reload, no polling), and the order is complete', async () => {
    const ticket = await aTicket(app, `Concert ${run}`, 42.5);
    let gets: string[] = [];
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id, { width: 375, before: async (p) => (gets = pageGets(p)) });
    await page.getByRole('heading', { name: 'Payment' }).waitFor();
    expect(await page.getByRole('radio').count()).toBe(4);
    await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }));

    await payWith(page, /Visa \(succeeds\)/);
    await step(page, traffic, 'visa', () => page.getByText(PAID).waitFor({ timeout: 30_000 }));
    expect(await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(gets).toContain(`/api/orders/${orderId}/updates`);
    expect(gets).not.toContain(`/api/orders/${orderId}`);
    await screenshot(page, 'intent-paid-phone');
    expect(await page.locator('.order .badge').textContent()).toBe('Paid');
    expect(await orderOf(page, orderId)).toMatchObject({ status: 'complete' });
    expect((await ticketOf(page, ticket.id)).orderId).toBe(orderId);
    // One intent for the order: it was created once, by this payment.
    expect(traffic.filter((t) => t.startsWith('POST /api/payments/intents') && / -> 201 /.test(t))).toHaveLength(1);
  });

  it('when the method asks for 3-D Secure, then the bank’s challenge page shows the amount, and once authenticated the order is complete', async () => {
    const ticket = await aTicket(app, `Opera ${run}`, 31.25);
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id);

    await payWith(page, /Requires authentication \(3-D Secure\)/);
    await step(page, traffic, 'challenge', () => page.waitForURL(`**/orders/${orderId}/authenticate`));
    await page.getByRole('heading', { name: 'Sandbox bank — confirm your payment of $31.25' }).waitFor();
    // The client secret travels in this tab's storage, never in the address.
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'intent-challenge');

    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await step(page, traffic, 'authenticated', async () => {
      await page.waitForURL(new RegExp(`/orders/${orderId}$`));
      await page.getByText(PAID).waitFor({ timeout: 30_000 });
    });
    expect(await orderOf(page, orderId)).toMatchObject({ status: 'complete' });
  });

  it('when the buyer fails the 3-D Secure challenge, then the order page says so and another method still pays', async () => {
    const ticket = await aTicket(app, `Ballet ${run}`, 18);
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id);

    await payWith(page, /Requires authentication \(3-D Secure\)/);
    await step(page, traffic, 'challenge', () => page.waitForURL(`**/orders/${orderId}/authenticate`));
    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await step(page, traffic, 'failed authentication', async () => {
      await page.waitForURL(new RegExp(`/orders/${orderId}$`));
      // The sandbox's words for it are Stripe's: "We are unable to authenticate your payment method…".
      await page.getByRole('alert').filter({ hasText: /unable to authenticate|authentication failed/i }).waitFor();
    });
    expect(await page.locator('.order .badge').textContent()).toBe('Awaiting payment');
    expect(await orderOf(page, orderId)).toMatchObject({ status: 'awaiting:payment' });

    await payWith(page, /Visa \(succeeds\)/);
    await step(page, traffic, 'visa after failed authentication', () => page.getByText(PAID).waitFor({ timeout: 30_000 }));
  });

  it('when the buyer leaves the challenge unanswered, then the order expires, the ticket is for sale again and a late answer pays nothing', async () => {
    const title = `Match ${run}`;
    const ticket = await aTicket(app, title, 9.99);
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id);

    await payWith(page, /Requires authentication \(3-D Secure\)/);
    await step(page, traffic, 'challenge', () => page.waitForURL(`**/orders/${orderId}/authenticate`));
    const challenge = page.url();

    // Back on the order page without answering: it waits for the bank, and follows the order.
    await page.getByRole('link', { name: 'Back to the order' }).click();
    await page.waitForURL(new RegExp(`/orders/${orderId}$`));
    await step(page, traffic, 'waiting for the bank', () => page.getByText('Your bank needs you to confirm this payment.').waitFor());
    expect(await page.locator('.order .badge').textContent()).toBe('Awaiting payment');
    expect(await page.getByRole('button', { name: /^Pay \$/ }).isDisabled()).toBe(true);
    await screenshot(page, 'intent-waiting-for-bank');
    await page.getByRole('button', { name: 'Continue to your bank' }).click();
    await page.waitForURL(challenge);
    await page.getByRole('button', { name: 'Complete authentication' }).waitFor();
    await page.getByRole('link', { name: 'Back to the order' }).click();
    await page.waitForURL(new RegExp(`/orders/${orderId}$`));

    await step(page, traffic, 'expiry', () => page.getByText('This order expired').waitFor({ timeout: (WINDOW_SECONDS + 40) * 1000 }));
    await eventually(async () => (await orderOf(page, orderId)).status === 'cancelled', { what: 'the order to be cancelled' });
    await eventually(async () => (await ticketOf(page, ticket.id)).orderId === null, { what: 'the ticket to be freed' });
    await page.goto('/');
    await page.getByRole('link', { name: new RegExp(title) }).waitFor();

    // The challenge answered too late: refused, and the order stays cancelled.
    await page.goto(challenge);
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await step(page, traffic, 'late answer', () => page.getByRole('alert').filter({ hasText: /cancelled|expired/i }).waitFor());
    const answers = () => traffic.filter((t) => t.startsWith('POST /api/payments/sandbox/authenticate')).map((t) => / -> (\d+) /.exec(t)?.[1]);
    await eventually(() => answers().length > 0, { what: 'the answer to be seen' });
    expect(answers()).toEqual(['400']);
    expect(await orderOf(page, orderId)).toMatchObject({ status: 'cancelled' });
    expect((await ticketOf(page, ticket.id)).orderId).toBeNull();
  });

  it('when the browser has no EventSource, then the page polls the order instead and still shows it paid', async () => {
    const ticket = await aTicket(app, `Quartet ${run}`, 11);
    let gets: string[] = [];
    const withoutEventSource = async (page: Page) => {
      gets = pageGets(page);
      await page.addInitScript(() => Reflect.deleteProperty(globalThis, 'EventSource'));
    };
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id, { before: withoutEventSource });

    await payWith(page, /Visa \(succeeds\)/);
    await step(page, traffic, 'visa, polled', () => page.getByText(PAID).waitFor({ timeout: 30_000 }));
    expect(gets).toContain(`/api/orders/${orderId}`);
    expect(gets).not.toContain(`/api/orders/${orderId}/updates`);
  });

  it('when the card is declined, then the error shows, the form stays usable and a second card pays', async () => {
    const ticket = await aTicket(app, `Play ${run}`, 15);
    const { page, traffic } = await aBuyerOrdering(app, ticket.id);

    await payWith(page, /Declined card/);
    await step(page, traffic, 'declined', () => page.getByRole('alert').filter({ hasText: 'Your card was declined' }).waitFor());
    await screenshot(page, 'intent-declined');
    const choices = page.getByRole('group', { name: 'Test payment method' });
    expect(await choices.getAttribute('aria-describedby')).toContain('payment-error');
    expect(await page.getByRole('button', { name: /^Pay \$/ }).isEnabled()).toBe(true);

    await payWith(page, /Mastercard \(succeeds\)/);
    await step(page, traffic, 'second card', () => page.getByText(PAID).waitFor({ timeout: 30_000 }));
  });
});

/**
 * Stripe.js as the order page loads it (from js.stripe.com, which the tests cannot reach): a
 * stand-in with the calls the Payment Element form makes. Its "Card number" field picks one of
 * the sandbox's test methods by Stripe's test card numbers, and confirmPayment confirms the
 * order's intent at the sandbox as Stripe's servers would: a 3-D Secure card passes the
 * challenge in "Stripe.js's dialog", a decline comes back as a card_error, and the redirect
 * card leaves for return_url the way a redirect-based method does. Every call is recorded in
 * window.stripeCalls.
 */
const STRIPE_STAND_IN = String.raw`(() => {
  const calls = (window.stripeCalls = []);
  const CARDS = {
    '4242424242424242': 'pm_card_visa',
    '4000000000000002': 'pm_card_chargeDeclined',
    '4000002760003184': 'pm_card_authenticationRequired',
    '4000000000003220': 'pm_card_visa',
  };
  const REDIRECTS = '4000000000003220';
  const post = async (path, body) => {
    const res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const intentOf = (clientSecret, result) => ({
    id: clientSecret.split('_secret_')[0],
    status: result.status,
    last_payment_error: result.lastError ? { message: result.lastError } : null,
  });
  function Stripe(key) {
    calls.push({ call: 'Stripe', key });
    let clientSecret = null;
    let input = null;
    const handlers = {};
    const element = {
      mount(node) {
        const label = document.createElement('label');
        label.textContent = 'Card number ';
        input = document.createElement('input');
        input.inputMode = 'numeric';
        label.appendChild(input);
        (typeof node === 'string' ? document.querySelector(node) : node).appendChild(label);
        setTimeout(() => (handlers.ready || []).forEach((cb) => cb({ elementType: 'payment' })), 0);
      },
      on(event, cb) { (handlers[event] = handlers[event] || []).push(cb); return element; },
      off(event, cb) { handlers[event] = (handlers[event] || []).filter((h) => h !== cb); return element; },
      update() {}, destroy() {}, unmount() {}, focus() {}, blur() {}, clear() {}, collapse() {},
    };
    const elements = {
      create(type) { calls.push({ call: 'create', type }); return element; },
      getElement() { return element; },
      update() {}, fetchUpdates: async () => ({}), submit: async () => ({}),
    };
    return {
      elements(options) { clientSecret = options.clientSecret; calls.push({ call: 'elements', clientSecret }); return elements; },
      createToken() {}, createPaymentMethod() {}, confirmCardPayment() {}, _registerWrapper() {},
      async confirmPayment({ redirect, confirmParams }) {
        calls.push({ call: 'confirmPayment', redirect, returnUrl: confirmParams && confirmParams.return_url });
        const number = input.value.replace(/\s/g, '');
        if (!CARDS[number]) return { error: { type: 'validation_error', message: 'Your card number is invalid.' } };
        let answer = await post('/api/payments/sandbox/confirm', { clientSecret, paymentMethod: CARDS[number] });
        if (answer.status === 200 && answer.body.status === 'requires_action') {
          answer = await post('/api/payments/sandbox/authenticate', { clientSecret, outcome: 'complete' });
        }
        if (answer.status !== 200) return { error: { type: 'api_error', message: answer.body.errors[0].message } };
        const paymentIntent = intentOf(clientSecret, answer.body);
        if (answer.body.status === 'requires_payment_method') return { error: { type: 'card_error', message: answer.body.lastError, payment_intent: paymentIntent } };
        if (number === REDIRECTS) {
          sessionStorage.setItem('stand-in:' + clientSecret, JSON.stringify(answer.body));
          const back = new URL(confirmParams.return_url);
          back.search = new URLSearchParams({ payment_intent: paymentIntent.id, payment_intent_client_secret: clientSecret, redirect_status: 'succeeded' }).toString();
          window.location.assign(back.href);
          return new Promise(() => {});
        }
        return { paymentIntent };
      },
      async retrievePaymentIntent(secret) {
        calls.push({ call: 'retrievePaymentIntent', clientSecret: secret });
        const known = sessionStorage.getItem('stand-in:' + secret);
        return known ? { paymentIntent: intentOf(secret, JSON.parse(known)) } : { error: { type: 'invalid_request_error', message: 'No such payment_intent' } };
      },
    };
  }
  Stripe.version = 'endive';
  window.Stripe = Stripe;
})();`;

type StripeCall = { call: string; [key: string]: unknown };
const stripeCalls = (page: Page) => page.evaluate(() => (globalThis as unknown as { stripeCalls?: StripeCall[] }).stripeCalls ?? []);

describe('paying through Stripe’s Payment Element (a publishable key set)', () => {
  // The client has a key; payments keeps the sandbox, which the Stripe.js stand-in confirms at.
  const stripeDir = mkdtempSync(join(tmpdir(), 'ticketing-intents-stripe-'));
  chmodSync(stripeDir, 0o755);
  const app = useAppInBrowser({
    dataDir: stripeDir,
    env: { NATS_STREAM: `E2E_INTENTS_STRIPE_${run}`, NATS_SUBJECT_PREFIX: `intentsstripe${run}.`, LOG_LEVEL: 'warn', STRIPE_PUBLISHABLE_KEY: 'pk_test_stand_in' },
    name: `intent-payment-stripe-${run}`,
  });
  const withStripe = (page: Page) => page.route('https://js.stripe.com/**', (route) => route.fulfill({ contentType: 'text/javascript', body: STRIPE_STAND_IN }));

  /** Types a card into the Payment Element and presses Pay. */
  async function payWithCard(page: Page, number: string) {
    await page.getByLabel('Card number').fill(number);
    await page.getByRole('button', { name: /^Pay \$/ }).click();
  }

  it('when the order page opens, then its intent is started and the Payment Element gets its client secret; a card pays with confirmPayment, redirecting only if required, back to this order', async () => {
    const ticket = await aTicket(app, `Gala ${run}`, 27);
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id, { before: withStripe });
    await step(page, traffic, 'payment element', () => page.getByLabel('Card number').waitFor());
    const started = await eventually(() => traffic.find((t) => t.startsWith('POST /api/payments/intents') && / -> 201 /.test(t)), { what: 'the intent' });
    const clientSecret = /"clientSecret":"([^"]+)"/.exec(started)![1];

    await payWithCard(page, '4242 4242 4242 4242');
    await step(page, traffic, 'card', () => page.getByText(PAID).waitFor({ timeout: 30_000 }));
    const calls = await stripeCalls(page);
    expect(calls).toContainEqual({ call: 'Stripe', key: 'pk_test_stand_in' });
    expect(calls).toContainEqual({ call: 'elements', clientSecret });
    expect(calls).toContainEqual({ call: 'create', type: 'payment' });
    expect(calls).toContainEqual({ call: 'confirmPayment', redirect: 'if_required', returnUrl: `${app.launcher.url}/orders/${orderId}` });
    expect(await orderOf(page, orderId)).toMatchObject({ status: 'complete' });
  });

  it('when a card is declined, then Stripe’s message shows and a 3-D Secure card then pays', async () => {
    const ticket = await aTicket(app, `Revue ${run}`, 12);
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id, { before: withStripe });

    await payWithCard(page, '4000 0000 0000 0002');
    await step(page, traffic, 'declined', () => page.getByRole('alert').filter({ hasText: 'Your card was declined' }).waitFor());
    expect(await page.getByRole('group', { name: 'Payment details' }).getAttribute('aria-describedby')).toBe('payment-error');
    expect(await page.getByRole('button', { name: /^Pay \$/ }).isEnabled()).toBe(true);

    await payWithCard(page, '4000 0027 6000 3184');
    await step(page, traffic, '3-D Secure', () => page.getByText(PAID).waitFor({ timeout: 30_000 }));
    expect(await orderOf(page, orderId)).toMatchObject({ status: 'complete' });
  });

  it('when the payment method redirects, then the buyer comes back to the order page, the client secret leaves the address bar and the order shows paid', async () => {
    const ticket = await aTicket(app, `Circus ${run}`, 8);
    const { page, traffic, orderId } = await aBuyerOrdering(app, ticket.id, { before: withStripe });

    await payWithCard(page, '4000 0000 0000 3220');
    await step(page, traffic, 'back from the redirect', async () => {
      await page.waitForURL(new RegExp(`/orders/${orderId}\\?.*payment_intent_client_secret=`), { timeout: 30_000 });
      await page.waitForFunction(() => (globalThis as unknown as { location: { search: string } }).location.search === '');
      await page.getByText(PAID).waitFor({ timeout: 30_000 });
    });
    expect(page.url()).toBe(`${app.launcher.url}/orders/${orderId}`);
  });

  it('when Stripe.js cannot be loaded, then the order page says card payments are unavailable', async () => {
    const ticket = await aTicket(app, `Recital ${run}`, 10);
    const { page } = await aBuyerOrdering(app, ticket.id, { before: (p) => p.route('https://js.stripe.com/**', (route) => route.abort()) });
    await page.getByRole('alert').filter({ hasText: 'Stripe could not be loaded' }).waitFor();
    await screenshot(page, 'intent-stripe-unavailable');
  });
});
