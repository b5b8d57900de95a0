import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@ticketing/devkit/free-port';
import { eventually, NATS_URL } from '@ticketing/testkit';
import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';

// A browser, a production client and five services share two cores: give each step room.
vi.setConfig({ testTimeout: 90_000 });
import { newVisitor, screenshot, useAppInBrowser } from './browser.js';
import { Launcher, processesMentioning } from './launcher.js';

/**
 * The app as a person uses it: `npm start` (every service, the production client build, the
 * front door) and Debian's Chromium. Short reservation window so expiry can be watched.
 */
const WINDOW_SECONDS = 15;
const run = randomBytes(4).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'ticketing-start-'));
// As root, PostgreSQL runs as its own user, who must be able to reach its data directory.
chmodSync(dataDir, 0o755);
const env = {
  NATS_STREAM: `E2E_APP_${run}`,
  NATS_SUBJECT_PREFIX: `app${run}.`,
  EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS),
  LOG_LEVEL: 'warn',
  EVENT_EXPLORER: 'on',
};
const password = 'correct horse battery';
const email = (who: string) => `${who}-${run}@example.com`;

const started = { dataDir, env, name: `app-${run}` };
const app = useAppInBrowser(started);

async function signUp(page: Page, address: string) {
  await page.goto('/auth/signup');
  await page.getByLabel('Email').fill(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('/');
  await page.getByText(address).waitFor();
}

async function signIn(page: Page, address: string) {
  await page.goto('/auth/signin');
  await page.getByLabel('Email').fill(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('/');
  await page.getByText(address).waitFor();
}

async function sell(page: Page, title: string, price: string): Promise<string> {
  await page.getByRole('link', { name: 'Sell tickets' }).click();
  await page.waitForURL('**/tickets/new');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Price').fill(price);
  await page.getByRole('button', { name: 'Sell ticket' }).click();
  await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: title }).waitFor();
  return page.url();
}

/** Opens the ticket and presses Purchase, waiting for the orders service to know the ticket. */
async function purchase(page: Page, ticketUrl: string) {
  for (let attempt = 0; ; attempt++) {
    await page.goto(ticketUrl);
    await page.getByRole('button', { name: 'Purchase' }).click();
    const landed = await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/, { timeout: 3000 }).then(
      () => true,
      () => false,
    );
    if (landed) return page.url();
    if (attempt > 10) throw new Error('could not purchase the ticket');
  }
}

describe('buying a ticket in the browser', () => {
  it('when a seller sells and a buyer buys and pays, then the order is complete, the ticket leaves the list and its page says it is sold', async () => {
    const title = `Concert ${run}`;
    const seller = await newVisitor(app.browser, app.launcher.url);
    await seller.goto('/');
    await screenshot(seller, 'home-signed-out');
    await signUp(seller, email('seller'));
    const ticketUrl = await sell(seller, title, '42.50');
    await expect(seller.getByText('$42.50')).toBeTruthy();
    await seller.goto('/');
    await seller.getByRole('link', { name: new RegExp(title) }).waitFor();
    await screenshot(seller, 'home-with-tickets');

    const buyer = await newVisitor(app.browser, app.launcher.url, 375);
    await signUp(buyer, email('buyer'));
    await buyer.getByRole('button', { name: 'Sign out', exact: true }).click();
    await buyer.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    await signIn(buyer, email('buyer'));
    const orderUrl = await purchase(buyer, ticketUrl);

    const timer = buyer.getByRole('timer', { name: 'Time left to pay' });
    const first = await timer.textContent();
    expect(first).toMatch(/^0:1\d$|^0:0\d$/);
    await buyer.waitForTimeout(1500);
    expect(await timer.textContent()).not.toBe(first);
    await screenshot(buyer, 'order-payable-phone');

    await buyer.getByRole('radio', { name: /Visa \(succeeds\)/ }).check();
    await buyer.getByRole('button', { name: /^Pay/ }).click();
    await buyer.getByText('Paid — your ticket is confirmed').waitFor({ timeout: 30_000 });
    await screenshot(buyer, 'order-complete-phone');

    await buyer.goto('/orders');
    await buyer.getByRole('link', { name: new RegExp(title) }).waitFor();
    await buyer.getByText('Paid', { exact: true }).waitFor();
    await buyer.goto('/');
    await buyer.getByRole('heading', { name: 'Tickets for sale' }).waitFor();
    expect(await buyer.getByRole('link', { name: new RegExp(title) }).count()).toBe(0);
    expect(orderUrl).toContain('/orders/');

    // Tickets marks it sold once it hears order.completed; its page, reserved till then, follows it there.
    await buyer.goto(ticketUrl);
    await buyer.getByRole('article').locator('.badge').filter({ hasText: /^Sold$/ }).waitFor({ timeout: 30_000 });
    await buyer.getByText('This ticket has been sold').waitFor();
    await screenshot(buyer, 'ticket-sold-phone');
    await seller.goto(`${ticketUrl}/edit`);
    await seller.getByText('This ticket has been sold, so it cannot be edited.').waitFor();
  });

  it('when the card is declined, then the error shows and the order can still be paid', async () => {
    const seller = await newVisitor(app.browser, app.launcher.url);
    await signUp(seller, email('seller2'));
    const ticketUrl = await sell(seller, `Play ${run}`, '15');
    const buyer = await newVisitor(app.browser, app.launcher.url);
    await signUp(buyer, email('buyer2'));
    await purchase(buyer, ticketUrl);

    await buyer.getByRole('radio', { name: /Declined card/ }).check();
    await buyer.getByRole('button', { name: /^Pay/ }).click();
    await buyer.getByRole('alert').filter({ hasText: 'Your card was declined' }).waitFor();
    await screenshot(buyer, 'order-declined');
    expect(await buyer.getByRole('button', { name: /^Pay/ }).isEnabled()).toBe(true);

    await buyer.getByRole('radio', { name: /Mastercard \(succeeds\)/ }).check();
    await buyer.getByRole('button', { name: /^Pay/ }).click();
    await buyer.getByText('Paid — your ticket is confirmed').waitFor({ timeout: 30_000 });
  });

  it('when the reservation window passes unpaid, then the order shows as expired and the ticket is for sale again, on pages opened while it was reserved too', async () => {
    const seller = await newVisitor(app.browser, app.launcher.url);
    await signUp(seller, email('seller3'));
    const ticketUrl = await sell(seller, `Match ${run}`, '9.99');
    const buyer = await newVisitor(app.browser, app.launcher.url);
    await signUp(buyer, email('buyer3'));
    await purchase(buyer, ticketUrl);

    // The seller's page, opened once tickets has the reservation and never reloaded after, follows it.
    const badge = seller.getByRole('article').locator('.badge');
    await eventually(
      async () => {
        await seller.goto(ticketUrl);
        return (await badge.textContent()) === 'Reserved';
      },
      { what: 'the ticket to be reserved' },
    );
    await seller.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    // The countdown runs out and the page follows the order to its cancelled state.
    await buyer.getByText('This order expired').waitFor({ timeout: (WINDOW_SECONDS + 40) * 1000 });
    await screenshot(buyer, 'order-expired');
    expect(await buyer.getByRole('button', { name: /^Pay/ }).count()).toBe(0);
    // The order is cancelled before tickets hears of it: the ticket page may open reserved, and then turns available.
    await buyer.getByRole('link', { name: 'See the ticket' }).click();
    await buyer.waitForURL(ticketUrl);
    await buyer.getByRole('button', { name: 'Purchase' }).waitFor({ timeout: 30_000 });
    await badge.filter({ hasText: 'Available' }).waitFor({ timeout: 30_000 });
    await seller.getByRole('link', { name: 'Edit' }).waitFor();
    expect(await seller.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
  }, 120_000);

  it('when forms are filled in wrongly, then the API’s messages appear next to the fields', async () => {
    const visitor = await newVisitor(app.browser, app.launcher.url);
    await visitor.goto('/auth/signup');
    await visitor.getByLabel('Email').fill('not-an-email');
    await visitor.getByLabel('Password').fill('short');
    await visitor.getByRole('button', { name: 'Sign up' }).click();
    await expect(describedBy(visitor, 'Email')).resolves.toMatch(/email/i);
    await expect(describedBy(visitor, 'Password')).resolves.toMatch(/at least 8/);
    await screenshot(visitor, 'signup-errors');

    await signUp(visitor, email('seller4'));
    await visitor.goto('/tickets/new');
    await visitor.getByLabel('Title').fill('   ');
    await visitor.getByLabel('Price').fill('12.345');
    await visitor.getByRole('button', { name: 'Sell ticket' }).click();
    await expect(describedBy(visitor, 'Title')).resolves.toMatch(/Title is required/);
    await expect(describedBy(visitor, 'Price')).resolves.toMatch(/at most 2 decimals/);
    await screenshot(visitor, 'sell-errors');
  });

  it('when a user signs out, then the header offers sign-in again and pages that need a user send them to it', async () => {
    const visitor = await newVisitor(app.browser, app.launcher.url);
    await signUp(visitor, email('leaver'));
    await visitor.getByRole('button', { name: 'Sign out', exact: true }).click();
    await visitor.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    expect(await visitor.getByText(email('leaver')).count()).toBe(0);
    await visitor.goto('/orders');
    await visitor.waitForURL(/\/auth\/signin/);
  });

  it('when a user signs out everywhere on one device, then their session on another device is signed out within seconds too', async () => {
    const phone = await newVisitor(app.browser, app.launcher.url, 375);
    await signUp(phone, email('traveller'));
    const laptop = await newVisitor(app.browser, app.launcher.url);
    await signIn(laptop, email('traveller'));

    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    await laptop.getByRole('link', { name: 'Sign in', exact: true }).waitFor();

    // The phone still holds its cookie; its session is refused (here by orders) once revoked.
    await eventually(
      async () => {
        await phone.goto('/orders');
        return /\/auth\/signin/.test(phone.url());
      },
      { what: "the phone's revoked session to be sent to sign in", timeoutMs: 10_000, intervalMs: 500 },
    );
    await phone.goto('/');
    expect(await phone.getByText(email('traveller')).count()).toBe(0);
  });
});

describe('npm start itself', () => {
  it('when Ctrl-C is pressed with an explorer stream open, then the server ends the stream, npm exits within seconds and only once everything has stopped, and the next start finds the data it left', async () => {
    // An event explorer page's feed, through the front door; its first bytes show it is open.
    const feed = await fetch(`${app.launcher.url}/api/events/stream`);
    const reader = feed.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');
    const feedEnd = (async () => {
      while (!(await reader.read()).done);
      return 'ended by the server';
    })().catch((err: unknown) => `cut off: ${String(err)}`);

    const pressed = Date.now();
    await app.launcher.interrupt();
    const stopMs = Date.now() - pressed;
    // Every process it started (services, client, PostgreSQL) is gone when npm exits, not after.
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(stopMs).toBeLessThan(8000);
    await expect(feedEnd).resolves.toBe('ended by the server');
    expect(readFileSync(app.launcher.logFile, 'utf8')).toContain('ticketing | stopped');

    app.launcher = await Launcher.start({ dataDir, env, name: `app-${run}-again` });
    const page = await newVisitor(app.browser, app.launcher.url);
    await signIn(page, email('seller'));
    await page.goto('/orders');
    await page.getByRole('heading', { name: 'My orders' }).waitFor();
  }, 120_000);
});

/** The text of the element that describes a labelled field (its error message). */
async function describedBy(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  await page.waitForFunction(
    (el) => Boolean(el?.getAttribute('aria-describedby')),
    await field.elementHandle(),
  );
  const ids = (await field.getAttribute('aria-describedby'))!.split(' ');
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

describe('the event explorer (/events)', () => {
  /** The timeline's events, oldest first: subject, stream sequence, and the services marked as having handled it. */
  async function timeline(page: Page) {
    const rows = await page.locator('ol.event-list > li.event').evaluateAll((items) =>
      items.map((li) => ({
        subject: li.getAttribute('data-subject') ?? '',
        seq: Number(li.getAttribute('data-seq')),
        handledBy: [...li.querySelectorAll('[data-state="handled"]')].map((b) => b.getAttribute('data-service') ?? '').sort(),
      })),
    );
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** What a purchase puts on the bus, in order, and the services whose consumers handle each event. */
  const purchaseFlow = [
    { subject: 'order.created', handledBy: ['expiration', 'payments', 'tickets'] },
    { subject: 'ticket.updated', handledBy: ['orders'] },
    { subject: 'payment.started', handledBy: ['orders'] },
    { subject: 'order.updated', handledBy: ['payments'] },
    { subject: 'payment.created', handledBy: ['orders'] },
    { subject: 'order.completed', handledBy: ['payments', 'tickets'] },
    { subject: 'ticket.updated', handledBy: ['orders'] }, // the ticket sold
  ];

  it('when a ticket is bought and paid, then the open timeline shows its order.created, ticket.updated, payment.started, order.updated, payment.created, order.completed and the ticket.updated of the sale live, in order, each marked with the services that handled it', async () => {
    const seller = await newVisitor(app.browser, app.launcher.url);
    await signUp(seller, email('seller6'));
    const ticketUrl = await sell(seller, `Ballet ${run}`, '31.25');

    // A learner opens the explorer from the header before anyone buys, and never reloads it.
    const learner = await newVisitor(app.browser, app.launcher.url);
    await learner.goto('/');
    await learner.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click();
    await learner.waitForURL('**/events');
    await learner.getByRole('heading', { name: 'Event explorer' }).waitFor();
    await learner.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await learner.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    const buyer = await newVisitor(app.browser, app.launcher.url);
    await signUp(buyer, email('buyer6'));
    const orderUrl = await purchase(buyer, ticketUrl);
    const orderId = orderUrl.split('/').pop()!;
    // Paid with 3-D Secure, answered once the order awaits payment: the order's order.updated
    // then comes before the payment's payment.created, as when a buyer takes a moment at the bank.
    await buyer.getByRole('radio', { name: /Requires authentication/ }).check();
    await buyer.getByRole('button', { name: /^Pay/ }).click();
    await buyer.waitForURL(`**/orders/${orderId}/authenticate`);
    await eventually(async () => ((await (await buyer.request.get(`/api/orders/${orderId}`)).json()) as { status: string }).status === 'awaiting:payment', {
      what: 'the order to await payment',
    });
    await buyer.getByRole('button', { name: 'Complete authentication' }).click();
    await buyer.getByText('Paid — your ticket is confirmed').waitFor({ timeout: 30_000 });

    await learner.getByLabel('Order, ticket or any id').fill(orderId);
    await eventually(
      async () => JSON.stringify((await timeline(learner)).map(({ subject, handledBy }) => ({ subject, handledBy }))) === JSON.stringify(purchaseFlow),
      { what: 'the purchase to appear in the explorer, handled', timeoutMs: 20_000 },
    ).catch(async (err: unknown) => {
      await screenshot(learner, 'events-purchase-failed');
      throw new Error(`${String(err)}; timeline: ${JSON.stringify(await timeline(learner))}`);
    });
    expect(await learner.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(learner.url()).toContain(`q=${orderId}`);

    // Oldest first, the page reads like the purchase's sequence diagram.
    await learner.getByLabel('Order', { exact: true }).selectOption('oldest');
    const subjects = await learner.locator('ol.event-list > li.event').evaluateAll((items) => items.map((li) => li.getAttribute('data-subject')));
    expect(subjects).toEqual(purchaseFlow.map((e) => e.subject));
    const orderCreated = learner.locator('ol.event-list > li.event').first();
    await orderCreated.getByText('Payload and headers').click();
    await orderCreated.getByText(`"id": "${orderId}"`).waitFor();
    await screenshot(learner, 'events-purchase');

    // The same view from its URL: replayed from the stream's history, on a phone.
    const phone = await newVisitor(app.browser, app.launcher.url, 375);
    await phone.goto(`/events?q=${orderId}&order=oldest`);
    await eventually(async () => (await timeline(phone)).length === purchaseFlow.length, { what: 'the history to load' });
    expect((await timeline(phone)).map(({ subject, handledBy }) => ({ subject, handledBy }))).toEqual(purchaseFlow);
    await screenshot(phone, 'events-purchase-phone');

    // Filtering by subject narrows it to one.
    await phone.getByLabel('Subject').selectOption('payment.created');
    await eventually(async () => (await timeline(phone)).length === 1, { what: 'the subject filter' });
    // Its order can be followed; its own (hidden) id is not offered as a filter.
    const chips = await phone.locator('.id-chip').allTextContents();
    expect(chips.map((c) => c.split(' ')[0])).toEqual(['order']);
  });

  it('when a page that follows the stream goes away, then its reader on the bus goes too', async () => {
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      // Each open feed reads the bus through an ordered consumer: one without a durable name.
      const readers = async () => {
        const names: string[] = [];
        for await (const c of jsm.consumers.list(env.NATS_STREAM)) if (!c.config.durable_name) names.push(c.name);
        return names;
      };
      const before = await readers();
      const page = new AbortController();
      const feed = await fetch(`${app.launcher.url}/api/events/stream`, { signal: page.signal });
      await feed.body!.getReader().read();
      const ours = await eventually(async () => (await readers()).find((name) => !before.includes(name)), { what: 'the feed’s reader' });

      page.abort();
      await eventually(async () => !(await readers()).includes(ours), { what: 'the reader to go', timeoutMs: 10_000 });
    } finally {
      await nc.close();
    }
  });

  it('when EVENT_EXPLORER is not on, then /events and its stream answer 404 and the header has no link to it', async () => {
    // The client build npm start made, run alone as in production, without the setting.
    const server = fileURLToPath(new URL('../client/.next/standalone/client/server.js', import.meta.url));
    const port = await freePort();
    const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOSTNAME: '127.0.0.1', NODE_ENV: 'production' };
    delete childEnv.EVENT_EXPLORER;
    for (const s of ['AUTH', 'TICKETS', 'ORDERS', 'PAYMENTS']) childEnv[`${s}_URL`] = 'http://127.0.0.1:9';
    const client = spawn(process.execPath, [server], { env: childEnv, stdio: 'ignore' });
    try {
      const base = `http://127.0.0.1:${port}`;
      const page = await eventually(() => fetch(`${base}/events`).catch(() => undefined), { what: 'the client to start' });
      expect(page.status).toBe(404);
      expect(await page.text()).not.toContain('href="/events"');
      const stream = await fetch(`${base}/api/events/stream`);
      expect(stream.status).toBe(404);
      expect(await stream.json()).toEqual({ errors: [{ message: 'Not found' }] });
    } finally {
      client.kill();
    }
  });
});
