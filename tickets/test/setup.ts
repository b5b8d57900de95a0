import { createTestService } from '@ticketing/testkit';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';

type Options = Parameters<typeof createTestService>[0];

/** A tickets service on its own database and stream, with its HTTP app. */
export async function startTickets(shared?: Options['shared'], options: Pick<Options, 'env' | 'logger'> = {}) {
  const t = await createTestService({ name: 'tickets', migrationsFolder, shared, ...options });
  const app = createApp(t.service);
  return { ...t, app, http: supertest(app) };
}

export { aUser } from '@ticketing/testkit';
