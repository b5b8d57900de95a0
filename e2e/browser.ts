import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NATS_URL } from '@ticketing/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { Launcher, type StartOptions } from './launcher.js';

/**
 * Debian's Chromium, driven by playwright-core: no browser download. CHROMIUM_PATH names
 * another Chromium-based browser where there is none at that path (the CI runners' Chrome).
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const screenshotsDir = fileURLToPath(new URL('../.test-results/screenshots', import.meta.url));

export function launchBrowser(): Promise<Browser> {
  mkdirSync(screenshotsDir, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** A fresh visitor (own cookies) at a phone or desktop width. */
export async function newVisitor(browser: Browser, baseURL: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: { width, height: width < 500 ? 812 : 900 } });
  return context.newPage();
}

export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });

/** `npm start` (in options.dataDir) and a Chromium, as a browser test file uses them. */
export interface AppInBrowser {
  launcher: Launcher;
  browser: Browser;
}

/**
 * Starts both before the file's tests (the first start on a fresh clone builds the client, so
 * it may take minutes) and after them stops both and removes the run's stream and data.
 */
export function useAppInBrowser(options: StartOptions & { env: { NATS_STREAM: string } }): AppInBrowser {
  const app = {} as AppInBrowser;
  beforeAll(async () => {
    app.launcher = await Launcher.start(options);
    app.browser = await launchBrowser();
  }, 300_000);
  afterAll(async () => {
    await app.browser?.close();
    if (app.launcher) await app.launcher.interrupt().catch(() => {});
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(options.env.NATS_STREAM).catch(() => false);
    await nc.close();
    rmSync(options.dataDir, { recursive: true, force: true });
  });
  return app;
}
