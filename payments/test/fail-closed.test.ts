import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@ticketing/devkit/free-port';
import { startService, type ManagedProcess } from '@ticketing/devkit/system/process';
import { repoRoot } from '@ticketing/devkit/system/services';
import { testKeys } from '@ticketing/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Payments } from './helpers.js';
import { startPayments } from './setup.js';

/**
 * Payments as production starts it (its own process, NODE_ENV=production): with no provider
 * chosen on purpose it must not start at all, since the sandbox would hand out tickets for
 * Stripe's test tokens. `t` provides the database and stream the process is wired to.
 */
let t: Payments;
let running: ManagedProcess | undefined;
const logDir = join(repoRoot, '.test-results', 'payments-fail-closed');

beforeAll(async () => {
  t = await startPayments();
});
afterEach(async () => {
  await running?.stop({ graceMs: 5000 });
  running = undefined;
});
afterAll(() => t?.close());

async function startInProduction(name: string, env: Record<string, string>) {
  const logFile = join(logDir, `${name}-${t.bus.env.NATS_STREAM.toLowerCase()}.log`);
  running = startService('payments', {
    wiring: { port: await freePort(), databaseUrl: t.database.url, natsUrl: t.bus.env.NATS_URL, keys: testKeys },
    env: { ...t.bus.env, NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    output: { logFile },
  });
  return { process: running, log: () => readFileSync(logFile, 'utf8') };
}

describe('payments in production', () => {
  it('when no provider is configured, then it refuses to start, naming the missing setting', async () => {
    const started = await startInProduction('none', {});

    expect(await started.process.exited).toBe(1);
    expect(started.log()).toMatch(/STRIPE_SECRET_KEY: is required in production/);
  });

  it('when PAYMENTS_PROVIDER=stripe comes without a key, then it refuses to start', async () => {
    const started = await startInProduction('stripe-no-key', { PAYMENTS_PROVIDER: 'stripe' });

    expect(await started.process.exited).toBe(1);
    expect(started.log()).toMatch(/STRIPE_SECRET_KEY: is required when PAYMENTS_PROVIDER is "stripe"/);
  });

  it('when PAYMENTS_PROVIDER=sandbox is set on purpose, then it starts, with the sandbox and a warning', async () => {
    const started = await startInProduction('sandbox', { PAYMENTS_PROVIDER: 'sandbox' });

    await started.process.waitReady();

    expect(started.log()).toMatch(/"provider":"sandbox"/);
    expect(started.log()).toMatch(/payments take no money/);
  });
});
