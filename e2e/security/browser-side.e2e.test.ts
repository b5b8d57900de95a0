/**
 * The browser side of the app, as `npm start` serves it (the production client build behind the
 * front door, opened to the network with HOST=0.0.0.0) and as Debian's Chromium uses it: every
 * page's Content-Security-Policy and Referrer-Policy, pages that still work under that policy
 * (the sandbox payment page and its bank's challenge page included), no redirect off the site
 * after sign-in, no sign-out from another site, and the event explorer: this machine only, a
 * bounded number of streams of bounded life, no payment or charge ids.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { at } from '@ticketing/testkit/api-user';
import { eventually } from '@ticketing/testkit';
import type { Page } from 'playwright-core';
import { describe, expect, it, vi } from 'vitest';
import { newVisitor, useAppInBrowser } from '../browser.js';
import { ApiUser } from '../client.js';
import { orderTicket, payOrder, sellTicket } from '../flows.js';

vi.setConfig({ testTimeout: 90_000 });

const run = randomBytes(4).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'ticketing-browser-side-'));
chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when the tests run as root
const STREAM_SECONDS = 5;
const env = {
  NATS_STREAM: `E2E_BROWSER_${run}`,
  NATS_SUBJECT_PREFIX: `browser${run}.`,
  LOG_LEVEL: 'warn',
  EVENT_EXPLORER: 'on',
  EVENT_EXPLORER_MAX_STREAMS: '2',
  EVENT_EXPLORER_STREAM_SECONDS: String(STREAM_SECONDS),
  HOST: '0.0.0.0',
};
const networkAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const app = useAppInBrowser({ dataDir, env, name: `browser-side-${run}` });

const isPaymentPage = (path: string) => path.startsWith('/orders/');

/** A signed-up user and a ticket of theirs on sale, through the API. */
async function aSellerWithATicket() {
  const seller = await ApiUser.signUp(at(app.launcher.url));
  return { seller, ticket: await sellTicket(seller, `Recital ${run}`, 12) };
}

/** The Content-Security-Policy as directive -> sources. */
function directives(policy: string | null): Record<string, string[]> {
  return Object.fromEntries((policy ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name!, sources]));
}

/** Every CSP violation a page reports, wherever it navigates. */
function violationsOf(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) seen.push(`${page.url()}: ${msg.text()}`);
  });
  return seen;
}

describe('the headers of every page', () => {
  it('when any page is asked for, then it has a nonce-based CSP that forbids framing, a same-origin Referrer-Policy and nosniff; Stripe only on the order page', async () => {
    const { ticket } = await aSellerWithATicket();
    const buyer = await ApiUser.signUp(at(app.launcher.url));
    const order = (await orderTicket(buyer, ticket.id)).body as { id: string };
    const signedIn = await fetch(`${app.launcher.url}/api/users/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: buyer.email, password: buyer.password }),
    });
    const cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;

    const pages = ['/', '/auth/signin', '/auth/signup', '/tickets/new', `/tickets/${ticket.id}`, '/tickets/mine', '/orders', `/orders/${order.id}`, '/events', '/nowhere'];
    const nonces = new Set<string>();
    for (const path of pages) {
      const res = await fetch(`${app.launcher.url}${path}`, { headers: { cookie }, redirect: 'manual' });
      const html = await res.text();
      const csp = directives(res.headers.get('content-security-policy'));
      const nonce = /'nonce-([^']+)'/.exec(csp['script-src']?.join(' ') ?? '')?.[1];
      const pays = isPaymentPage(path);

      expect({ path, status: res.status < 500 }).toEqual({ path, status: true });
      expect({ path, ...csp }).toMatchObject({
        path,
        'default-src': ["'self'"],
        'script-src': expect.arrayContaining(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]),
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      });
      expect({ path, unsafe: [...(csp['script-src'] ?? []), ...(csp['style-src'] ?? [])].filter((s) => s.startsWith("'unsafe")) }).toEqual({ path, unsafe: [] });
      expect({ path, stripe: Object.values(csp).flat().some((s) => s.includes('stripe.com')) }).toEqual({ path, stripe: pays });
      expect({ path, referrer: res.headers.get('referrer-policy') }).toEqual({ path, referrer: pays ? 'strict-origin' : 'same-origin' });
      expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
      // Every script the page carries has this response's nonce.
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect({ path, scripts: scripts.length > 0 || res.status >= 300 }).toEqual({ path, scripts: true });
      for (const tag of scripts) expect({ path, tag }).toEqual({ path, tag: expect.stringContaining(`nonce="${nonce}"`) });
      nonces.add(nonce!);
    }
    expect(nonces.size).toBe(pages.length); // fresh for every response
  });
});

describe('the pages under their policy', () => {
  it('when a user signs up, sells, buys, pays in the sandbox and opens their orders and the explorer, then every page works and none reports a CSP violation', async () => {
    const seller = await newVisitor(app.browser, app.launcher.url);
    const buyer = await newVisitor(app.browser, app.launcher.url);
    const violations = [...[seller, buyer].map(violationsOf)];

    await signUpIn(seller, `seller-${run}@example.com`);
    await seller.getByRole('link', { name: 'Sell tickets' }).click();
    await seller.getByLabel('Title').fill(`Opera ${run}`);
    await seller.getByLabel('Price').fill('42');
    await seller.getByRole('button', { name: 'Sell ticket' }).click();
    await seller.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    const ticketUrl = seller.url();

    await signUpIn(buyer, `buyer-${run}@example.com`);
    await eventually(
      async () => {
        await buyer.goto(ticketUrl);
        await buyer.getByRole('button', { name: 'Purchase' }).click();
        return buyer.waitForURL(/\/orders\/[0-9a-f-]{36}$/, { timeout: 3000 }).then(
          () => true,
          () => false,
        );
      },
      { what: 'the order page' },
    );
    // With 3-D Secure, so the sandbox bank's challenge page is among the pages checked.
    await buyer.getByRole('radio', { name: /Requires authentication/ }).check();
    await buyer.getByRole('button', { name: /^Pay/ }).click();
    await buyer.waitForURL(/\/orders\/[0-9a-f-]{36}\/authenticate$/);
    await buyer.getByRole('button', { name: 'Complete authentication' }).click();
    await buyer.getByText('Paid — your ticket is confirmed').waitFor({ timeout: 30_000 });
    await buyer.goto('/orders');
    await buyer.getByRole('heading', { name: 'My orders' }).waitFor();
    await buyer.goto('/events');
    await buyer.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await buyer.close();

    expect(violations.flat()).toEqual([]);
  });
});

describe('signing in with a next page', () => {
  it.each(['/%09/evil.example', '//evil.example', '/%5Cevil.example', 'https://evil.example'])(
    'when the sign-in link says next=%s, then the user lands on this site',
    async (next) => {
      const user = await ApiUser.signUp(at(app.launcher.url));
      const page = await newVisitor(app.browser, app.launcher.url);

      await page.goto(`/auth/signin?next=${next}`);
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByText(user.email).waitFor();

      expect(new URL(page.url()).origin).toBe(app.launcher.url);
      await page.close();
    },
  );
});

describe('a page of another site', () => {
  it('when it submits a form that signs the user out, then 403 and the user stays signed in', async () => {
    const user = await ApiUser.signUp(at(app.launcher.url));
    const page = await newVisitor(app.browser, app.launcher.url);
    await page.goto('/auth/signin');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText(user.email).waitFor();
    // Another site: 127.0.0.1 is not localhost, on a port of its own.
    const evil = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form method="post" action="${app.launcher.url}/api/users/signout"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/users/signout'));
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);

      expect((await answer).status()).toBe(403);
      await page.goto('/');
      await page.getByText(user.email).waitFor();
      expect(await page.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(1);
    } finally {
      evil.close();
      await page.close();
    }
  });
});

describe('the event explorer under npm start', () => {
  it('when it is asked for from this machine’s network address, then 403; from loopback, it is served', async () => {
    if (!networkAddress) throw new Error('this test needs a network interface besides loopback');
    const port = new URL(app.launcher.url).port;

    for (const path of ['/events', '/api/events/stream']) {
      const res = await fetch(`http://${networkAddress}:${port}${path}`);
      expect({ path, status: res.status, body: await res.json() }).toEqual({
        path,
        status: 403,
        body: { errors: [{ message: 'The event explorer is served to this machine only' }] },
      });
    }
    expect((await fetch(`http://${networkAddress}:${port}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/events`)).status).toBe(200);
  });

  it('when a payment is on the bus, then the feed shows the payment.created without its payment id or charge id', async () => {
    const { ticket } = await aSellerWithATicket();
    const buyer = await ApiUser.signUp(at(app.launcher.url));
    const order = (await orderTicket(buyer, ticket.id)).body as { id: string };
    const payment = (await payOrder(buyer, order.id)).body as { id: string };
    expect(payment.id).toMatch(/^[0-9a-f-]{36}$/);

    const events = await eventually(
      async () => {
        const feed = await readFeed('/api/events/stream?last=all');
        const paid = feed.events.find((e) => e.subject === 'payment.created' && (e.payload as { orderId?: string }).orderId === order.id);
        return paid && feed;
      },
      { what: 'payment.created in the feed' },
    );

    const paid = events.events.find((e) => e.subject === 'payment.created' && (e.payload as { orderId?: string }).orderId === order.id)!;
    expect(paid.payload).toEqual({ id: '[redacted]', orderId: order.id, chargeId: '[redacted]' });
    expect(events.text).not.toContain(payment.id);
    expect(events.text).not.toMatch(/"chargeId":"(?!\[redacted\])/);
    expect(events.text).not.toContain(buyer.id); // user ids are cut short
  });

  it('when as many streams are open as allowed, then another answers 503 in the error shape with Retry-After, and is served again once one closes', async () => {
    const first = await openFeed();
    const second = await openFeed();
    try {
      const third = await fetch(`${app.launcher.url}/api/events/stream`);

      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('10');
      expect(await third.json()).toEqual({ errors: [{ message: 'The event explorer already has 2 streams open; try again shortly' }] });

      first.close();
      const again = await admittedFeed();
      await again.body!.cancel();
    } finally {
      first.close();
      second.close();
    }
  });

  it(`when a stream has been open ${STREAM_SECONDS} s, then the server ends it (the page's EventSource reconnects)`, async () => {
    const feed = await admittedFeed(); // once the streams of the test before have let go of their places
    const opened = Date.now();
    const reader = feed.body!.getReader();
    while (!(await reader.read()).done);

    const lived = (Date.now() - opened) / 1000;
    expect(lived).toBeGreaterThanOrEqual(STREAM_SECONDS - 0.5);
    expect(lived).toBeLessThan(STREAM_SECONDS + 10);
  });
});

async function signUpIn(page: Page, email: string) {
  await page.goto('/auth/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL('/');
  await page.getByText(email).waitFor();
}

/** An open feed, its first bytes read. */
async function openFeed() {
  const res = await admittedFeed();
  const reader = res.body!.getReader();
  await reader.read();
  return { close: () => void reader.cancel() };
}

/** A feed the server admits, asked for again while every place is taken. */
function admittedFeed(): Promise<Response> {
  return eventually(
    async () => {
      const res = await fetch(`${app.launcher.url}/api/events/stream`);
      if (res.status === 200) return res;
      await res.body?.cancel();
      return undefined;
    },
    { what: 'a place among the streams', timeoutMs: 10_000 },
  );
}

/** The feed's events up to "caught-up", and its whole text. */
async function readFeed(path: string) {
  const abort = new AbortController();
  const res = await fetch(`${app.launcher.url}${path}`, { signal: abort.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: caught-up')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  abort.abort();
  const events = [...text.matchAll(/event: bus-event\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!) as { subject: string; payload: unknown });
  return { text, events };
}
