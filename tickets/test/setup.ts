import { createTestService, sessionCookie } from '@ticketing/common/testkit';
import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { createApp } from '../src/app.js';
import { migrationsFolder } from '../src/db/migrations-folder.js';

/** A tickets service on its own database and stream, with its HTTP app. */
export async function startTickets(shared?: Parameters<typeof createTestService>[0]['shared']) {
  const t = await createTestService({ name: 'tickets', migrationsFolder, shared });
  const app = createApp(t.service);
  return { ...t, app, http: supertest(app) };
}

/** A signed-in user: their id and the Cookie header that proves it. */
export async function aUser() {
  const user = { id: randomUUID(), email: `user-${randomUUID().slice(0, 8)}@example.com` };
  return { ...user, cookie: await sessionCookie(user) };
}
