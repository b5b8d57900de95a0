import { createTestService } from '@ticketing/testkit';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { configSchema } from '../src/config.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';

/**
 * A payments service on its own database and stream, with its HTTP app. `env` adds settings,
 * e.g. STRIPE_SECRET_KEY and STRIPE_API_URL to charge through a local Stripe stand-in.
 */
export async function startPayments(options: Pick<Parameters<typeof createTestService>[0], 'env' | 'shared' | 'logger'> = {}) {
  const t = await createTestService({ name: 'payments', migrationsFolder, configSchema, ...options });
  const app = createApp(t.service);
  return { ...t, app, http: supertest(app) };
}

export { aUser } from '@ticketing/testkit';
