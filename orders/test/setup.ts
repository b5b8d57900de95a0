import { createTestService } from '@ticketing/testkit';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { configSchema } from '../src/config.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';

/** An orders service on its own database and stream, with its HTTP app. */
export async function startOrders(
  options: Pick<Parameters<typeof createTestService>[0], 'shared' | 'env' | 'logger'> = {},
) {
  const t = await createTestService({ name: 'orders', migrationsFolder, configSchema, ...options });
  const app = createApp(t.service);
  return { ...t, app, http: supertest(app) };
}

export { aUser } from '@ticketing/testkit';
