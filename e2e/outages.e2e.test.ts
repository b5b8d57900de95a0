import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { NatsServer } from '@ticketing/devkit/system/nats-server';
import { repoRoot } from '@ticketing/devkit/system/services';
import { eventually } from '@ticketing/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, newVisitor, screenshot } from './browser.js';
import type { ApiUser } from './client.js';
import { orderTicket, sellTicket, signUp } from './flows.js';
import { RunningSystem } from './system.js';
import { WebClient } from './web-client.js';

// A browser, a production client and five services share two cores: give each step room.
vi.setConfig({ testTimeout: 120_000 });

/**
 * Parts of the system going away while a person uses its pages: every service as its own
 * process, on a NATS server of this file's own (so stopping it disturbs no other test), the web
 * client as `npm start` runs it, and Debian's Chromium.
 */
const run = randomBytes(4).toString('hex');
const dir = join(repoRoot, '.test-results', 'e2e', `outages-${run}`);
let nats: NatsServer;
let system: RunningSystem;
let web: WebClient;
let browser: Browser;

beforeAll(async () => {
  nats = await NatsServer.start({ storeDir: join(dir, 'nats-store'), logFile: join(dir, 'nats-server.log') });
  system = await RunningSystem.start({ natsUrl: nats.url });
  web = await WebClient.start(system);
  browser = await launchBrowser();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await system?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** As long as the learner's: the bus away for 20 s. */
const NATS_OUTAGE_MS = 20_000;

/** Signs `user` in through the sign-in form; the browser lands on the home page. */
async function signIn(page: Page, user: ApiUser) {
  expect((await page.goto('/auth/signin'))?.status()).toBe(200);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL('/');
  await page.getByText(user.email).waitFor();
}

/** A page answered 503 at its own address, saying `message` inside the site's header and footer. */
async function expectUnavailable(page: Page, path: string, message: string) {
  const res = await page.goto(path);
  expect(res?.status(), path).toBe(503);
  expect(res?.headers()['retry-after']).toBeDefined();
  expect(new URL(page.url()).pathname).toBe(path);
  await page.getByRole('alert').filter({ hasText: message }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByRole('contentinfo').waitFor();
}

const markNotReloaded = (page: Page) => page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
const wasNotReloaded = (page: Page) => page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded === true);

describe('the event explorer while NATS is down', () => {
  it('when NATS stops while the explorer is open, then the page says it is reconnecting for as long as NATS is away, and Live again once NATS is back, reading new events, without a reload', async () => {
    const learner = await newVisitor(browser, web.url);
    await learner.goto('/events');
    const connection = learner.locator('p.connection[role="status"]');
    await connection.filter({ hasText: /^Live$/ }).waitFor();
    await markNotReloaded(learner);

    const late = await newVisitor(browser, web.url);
    await nats.stop();
    const stopped = Date.now();
    try {
      // The server's reader lost its connection: the page is told, not left saying "Live".
      await connection.filter({ hasText: /Reconnecting/ }).waitFor({ timeout: 10_000 });
      await screenshot(learner, 'events-bus-lost');
      // A page opened meanwhile cannot read the bus either, and says so.
      await late.goto('/events');
      await late.locator('p.connection[role="status"]').filter({ hasText: /^Bus unavailable$/ }).waitFor({ timeout: 15_000 });
      await screenshot(late, 'events-opened-while-bus-lost');
      expect(await late.locator('.explorer-problem[role="alert"]').textContent()).toMatch(/NATS.*Trying again/);
      // Still away: still said, however long it lasts.
      await learner.waitForTimeout(Math.max(0, NATS_OUTAGE_MS - (Date.now() - stopped)));
      expect(await connection.textContent()).toMatch(/Reconnecting/);
    } finally {
      await nats.startAgain();
    }

    await connection.filter({ hasText: /^Live$/ }).waitFor({ timeout: 30_000 });
    await late.locator('p.connection[role="status"]').filter({ hasText: /^Live$/ }).waitFor({ timeout: 30_000 });
    // Live means read: an event published now reaches the open page.
    const seller = await signUp(system);
    const ticket = await sellTicket(seller, `Quartet ${run}`);
    await learner.getByLabel('Order, ticket or any id').fill(ticket.id);
    await learner.locator('ol.event-list > li.event[data-subject="ticket.created"]').waitFor({ timeout: 30_000 });
    expect(await wasNotReloaded(learner)).toBe(true);
  });
});

describe('pages while the tickets service is down', () => {
  const UNAVAILABLE = 'Tickets can’t be shown right now; try again in a moment.';

  it('when tickets is down, then the home page and a ticket page answer 503 with a message in the site layout at their own address, and signing in and the orders page still work; once it is back they show tickets again', async () => {
    const seller = await signUp(system);
    const ticket = await sellTicket(seller, `Sonata ${run}`);
    const ticketPath = `/tickets/${ticket.id}`;
    const visitor = await newVisitor(browser, web.url);
    await visitor.goto('/');
    await visitor.getByRole('link', { name: new RegExp(`Sonata ${run}`) }).waitFor();

    await system.kill('tickets');
    try {
      // The first request since it went (the page finds out while rendering) and those after it alike.
      for (const path of ['/', ticketPath, '/', ticketPath]) {
        await expectUnavailable(visitor, path, UNAVAILABLE);
        // The site's header, signed out.
        await visitor.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' }).waitFor();
      }
      await screenshot(visitor, 'tickets-unavailable');

      // Pages that do not need tickets: signing in (auth), and the orders page (orders).
      await signIn(visitor, seller);
      await visitor.getByRole('alert').filter({ hasText: UNAVAILABLE }).waitFor();
      const orders = await visitor.goto('/orders');
      expect(orders?.status()).toBe(200);
      await visitor.getByRole('heading', { name: 'My orders' }).waitFor();
      // Followed from a link, in the page (the router's own request): the same message.
      await visitor.getByRole('link', { name: 'Ticketing' }).click();
      await visitor.getByRole('alert').filter({ hasText: UNAVAILABLE }).waitFor();
    } finally {
      await system.startService('tickets');
    }

    await eventually(async () => (await visitor.goto(ticketPath))?.status() === 200, { what: 'the ticket page to be shown again', timeoutMs: 15_000 });
    await visitor.getByRole('heading', { name: `Sonata ${run}` }).waitFor();
    expect((await visitor.goto('/'))?.status()).toBe(200);
    await visitor.getByRole('link', { name: new RegExp(`Sonata ${run}`) }).waitFor();
  });
});

describe('pages while the orders service is down', () => {
  const UNAVAILABLE = 'Your orders can’t be shown right now; try again in a moment.';

  it('when orders is down, then My orders, an order page and its bank challenge answer 503 with a message in the site layout while ticket pages still answer 200; once it is back they show the order again', async () => {
    const seller = await signUp(system);
    const ticket = await sellTicket(seller, `Nocturne ${run}`);
    const buyer = await signUp(system);
    const order = (await orderTicket(buyer, ticket.id)).body as { id: string };
    const orderPath = `/orders/${order.id}`;
    const visitor = await newVisitor(browser, web.url);
    await signIn(visitor, buyer);
    expect((await visitor.goto(orderPath))?.status()).toBe(200);
    await visitor.getByRole('heading', { name: `Nocturne ${run}` }).waitFor();

    await system.kill('orders');
    try {
      // The first request since it went (found out while rendering) and those after it alike.
      for (const path of ['/orders', orderPath, `${orderPath}/authenticate`, '/orders', orderPath]) {
        await expectUnavailable(visitor, path, UNAVAILABLE);
        await visitor.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My orders' }).waitFor();
      }
      await screenshot(visitor, 'orders-unavailable');

      // Pages that need tickets, not orders.
      expect((await visitor.goto('/'))?.status()).toBe(200);
      await visitor.getByRole('heading', { name: 'Tickets for sale' }).waitFor();
      expect((await visitor.goto(`/tickets/${ticket.id}`))?.status()).toBe(200);
      await visitor.getByRole('heading', { name: `Nocturne ${run}` }).waitFor();
      // Followed from a link, in the page (the router's own request): the orders message.
      await visitor.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My orders' }).click();
      await visitor.getByRole('alert').filter({ hasText: UNAVAILABLE }).waitFor();
    } finally {
      await system.startService('orders');
    }

    await eventually(async () => (await visitor.goto(orderPath))?.status() === 200, { what: 'the order page to be shown again', timeoutMs: 15_000 });
    await visitor.getByRole('heading', { name: `Nocturne ${run}` }).waitFor();
    expect((await visitor.goto('/orders'))?.status()).toBe(200);
    await visitor.getByRole('link', { name: `Nocturne ${run}` }).waitFor();
  });

  it('when payments is down, then the order page still shows the order, and paying says it failed and can be tried again', async () => {
    const seller = await signUp(system);
    const ticket = await sellTicket(seller, `Etude ${run}`);
    const buyer = await signUp(system);
    const order = (await orderTicket(buyer, ticket.id)).body as { id: string };
    const visitor = await newVisitor(browser, web.url);
    await signIn(visitor, buyer);

    await system.kill('payments');
    try {
      expect((await visitor.goto(`/orders/${order.id}`))?.status()).toBe(200);
      await visitor.getByRole('heading', { name: `Etude ${run}` }).waitFor();
      const pay = visitor.getByRole('button', { name: /^Pay / });
      await pay.click();
      await visitor.locator('form.payment-form').getByRole('alert').waitFor();
      await screenshot(visitor, 'payments-unavailable');
      expect(await pay.isEnabled()).toBe(true);
    } finally {
      await system.startService('payments');
    }
  });
});
