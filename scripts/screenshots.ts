/**
 * `npm run screenshots`: regenerates the pictures in docs/screenshots from the running app.
 * Starts the system as the browser tests do (`npm start` on a scratch data directory, with its
 * own NATS and embedded PostgreSQL, and Chromium through playwright-core), makes a seller and a
 * buyer through the API, lists a few tickets, buys one and pays with the sandbox's Visa, starts
 * a 3-D Secure payment of another, and captures each page once it shows the state in its caption.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { NpmStart } from '@ticketing/devkit/system/npm-start';
import { isAlive, processesMentioning } from '@ticketing/devkit/system/process-tree';
import { repoRoot } from '@ticketing/devkit/system/services';
import { chromium, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';

const out = join(repoRoot, 'docs', 'screenshots');
/** Debian's Chromium, or CHROMIUM_PATH: no browser download (as e2e/browser.ts). */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };
const PASSWORD = 'correct horse battery';
const PAID = 'Paid — your ticket is confirmed';

const TICKETS = [
  { title: 'Nils Frahm — Live at the Barbican', price: 58 },
  { title: 'Hamilton · Stalls, Row F', price: 89.5 },
  { title: 'Jazz at the Blue Note: Late Set', price: 35 },
  { title: 'Swan Lake — Royal Ballet', price: 42.5 },
  { title: 'Comedy Night at the Roundhouse', price: 18 },
];

const log = (line: string) => process.stderr.write(`screenshots | ${line}\n`);

/** A visitor with cookies of its own, signed up through the API (the context keeps the session). */
async function signedUp(browser: Browser, baseURL: string, viewport: typeof DESKTOP, email: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport });
  await expectOk(context.request, 'POST', '/api/users/signup', { email, password: PASSWORD }, 201);
  return context;
}

async function expectOk(request: APIRequestContext, method: 'GET' | 'POST', path: string, data: unknown, status: number) {
  const res = await request.fetch(path, { method, data });
  if (res.status() !== status) throw new Error(`${method} ${path}: ${res.status()} ${await res.text()}`);
  return res.json() as Promise<{ id: string; status?: string }>;
}

/** Asks until `check` holds: records reach the next service through events, a moment later. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Orders the ticket through the API, once orders has heard of it (ticket.created). */
const order = (request: APIRequestContext, ticketId: string) =>
  until(`orders to know ticket ${ticketId}`, async () => {
    const res = await request.post('/api/orders', { data: { ticketId } });
    if (res.status() === 404) return undefined;
    if (res.status() !== 201) throw new Error(`POST /api/orders: ${res.status()} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  });

const orderStatus = async (request: APIRequestContext, orderId: string) => ((await (await request.get(`/api/orders/${orderId}`)).json()) as { status: string }).status;

const shoot = async (page: Page, name: string) => {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  log(`wrote docs/screenshots/${name}.png`);
};

/** The order page, hydrated: the countdown runs and the sandbox form can pay. */
async function openPayable(page: Page, orderId: string) {
  await page.goto(`/orders/${orderId}`);
  await page.getByRole('timer', { name: 'Time left to pay' }).waitFor();
  await page.getByRole('radio', { name: /Visa \(succeeds\)/ }).waitFor();
  await page.getByRole('button', { name: /^Pay \$/ }).and(page.locator(':enabled')).waitFor();
}

async function capture(browser: Browser, baseURL: string) {
  const seller = await signedUp(browser, baseURL, DESKTOP, 'box-office@example.com');
  const tickets = [];
  for (const t of TICKETS) tickets.push(await expectOk(seller.request, 'POST', '/api/tickets', t, 201));

  const home = await seller.newPage();
  await home.goto('/');
  await home.getByRole('heading', { name: 'Tickets for sale' }).waitFor();
  for (const t of TICKETS) await home.getByRole('link', { name: t.title }).waitFor();
  await shoot(home, 'home-with-tickets');

  const buyer = await signedUp(browser, baseURL, PHONE, 'alex@example.com');
  const paid = await order(buyer.request, tickets[3]!.id);
  const page = await buyer.newPage();
  // The buyer takes a moment before confirming: the order awaits payment (payment.started,
  // order.updated) before the payment lands, so the explorer shows the purchase's six events
  // in the order docs/guide/11-event-explorer.md tells them.
  const confirm = '**/api/payments/sandbox/confirm';
  await page.route(confirm, async (route) => {
    // Should it never await payment, the Pay below times out and says so: this must not throw.
    await until('the order to await payment', async () => (await orderStatus(buyer.request, paid)) === 'awaiting:payment').catch(() => {});
    await route.continue().catch(() => {});
  });
  await openPayable(page, paid);
  await page.getByRole('radio', { name: /Visa \(succeeds\)/ }).check();
  await shoot(page, 'order-payable-phone');

  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await page.getByText(PAID).waitFor({ timeout: 30_000 });
  await shoot(page, 'order-complete-phone');
  await page.unroute(confirm);

  const challenged = await order(buyer.request, tickets[1]!.id);
  await openPayable(page, challenged);
  await page.getByRole('radio', { name: /Requires authentication \(3-D Secure\)/ }).check();
  await page.getByRole('button', { name: /^Pay \$/ }).click();
  await page.waitForURL(`**/orders/${challenged}/authenticate`);
  await page.getByRole('button', { name: 'Complete authentication' }).and(page.locator(':enabled')).waitFor();
  await shoot(page, 'order-challenge-phone');

  const explorer = await (await browser.newContext({ baseURL, viewport: DESKTOP })).newPage();
  await explorer.goto(`/events?q=${paid}&order=oldest`);
  const events = explorer.locator('ol.event-list > li.event');
  await events.and(explorer.locator('[data-subject="order.completed"]')).waitFor();
  // Every listener has acknowledged every event of the purchase.
  await until('every event handled', async () => (await events.count()) === 6 && (await explorer.locator('ol.event-list [data-state="waiting"]').count()) === 0);
  const first = events.first();
  await first.getByText('Payload and headers').click();
  await first.getByText(`"id": "${paid}"`).waitFor();
  await shoot(explorer, 'event-explorer');
}

const dataDir = mkdtempSync(join(tmpdir(), 'ticketing-screenshots-'));
chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user when this runs as root
let npm: NpmStart | undefined;
let browser: Browser | undefined;
let interrupted = false;

async function main() {
  // Everything of its own: an npm start that runs its NATS in the scratch directory too.
  delete process.env.NATS_URL;
  try {
    log('starting the system (the first start builds the client)');
    npm = await NpmStart.start({
      port: await freePort(),
      dataDir,
      env: { LOG_LEVEL: 'warn', EVENT_EXPLORER: 'on' },
      logFile: join(repoRoot, '.test-results', 'screenshots.log'),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    await capture(browser, `http://localhost:${npm.port}`);
  } finally {
    await cleanUp();
  }
}

async function cleanUp() {
  await browser?.close().catch(() => {});
  await npm?.stop();
  // A start interrupted before its ready line has no handle: its processes carry the data
  // directory in their environment (TICKETING_DATA_DIR). Ctrl-C to each, SIGKILL after 30 s.
  const left = processesMentioning(dataDir);
  for (const pid of left) signal(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (left.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of left.filter(isAlive)) signal(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

// npm start runs in a process group of its own, which a Ctrl-C here does not reach: stop it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log('interrupted: stopping the system');
    void cleanUp().finally(() => process.exit(130));
  });
}
// Last resort if the run dies some other way: nothing it started may outlive it.
process.on('exit', () => npm?.kill());

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (interrupted) return; // the signal's clean-up ends the process
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
