import { createTestService, startStripeStandIn } from '@ticketing/testkit';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { configSchema } from '../src/config.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';
import { listeners } from '../src/events/listeners.js';
import { startOrdersAuthority, type OrdersAuthority } from './orders-authority.js';

/**
 * A payments service on its own database and stream, with its HTTP app, and the orders
 * service's answer to its claims on the same bus (`orders`; a replica sharing a database and
 * bus shares it too). `env` adds settings, e.g. STRIPE_SECRET_KEY and STRIPE_API_URL to charge
 * through a local Stripe stand-in.
 */
export async function startPayments(
  options: Pick<Parameters<typeof createTestService>[0], 'env' | 'shared' | 'logger'> & { orders?: OrdersAuthority } = {},
) {
  const { orders: given, ...rest } = options;
  // A replica passed as `shared` brings its orders along.
  const shared = given ?? (rest.shared as { orders?: OrdersAuthority } | undefined)?.orders;
  const t = await createTestService({ name: 'payments', migrationsFolder, configSchema, ...rest });
  const orders = shared ?? (await startOrdersAuthority(t.bus));
  const app = createApp(t.service);
  return {
    ...t,
    orders,
    app,
    http: supertest(app),
    async close() {
      await t.close();
      if (!shared) await orders.close();
    },
  };
}

export { aUser } from '@ticketing/testkit';

/** The secret key payments tests give the SDK: the stand-in sees it in each request's Authorization. */
export const STRIPE_TEST_KEY = 'sk_test_standin_51Hx0000000000';

/**
 * A payments service with the stripe provider, pointed at a fresh local stand-in of Stripe's API
 * (no retries, so each request the SDK sends is one the test sees), its listeners running.
 */
export async function startPaymentsOnStripe(env: Record<string, string> = {}) {
  const stripe = await startStripeStandIn();
  const t = await startPayments({ env: { STRIPE_SECRET_KEY: STRIPE_TEST_KEY, STRIPE_API_URL: stripe.url, STRIPE_MAX_NETWORK_RETRIES: '0', ...env } });
  await t.listen(listeners);
  return { t, stripe };
}
